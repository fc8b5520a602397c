// Command envoy-validate checks xDS resources against Envoy's own rules before any Envoy sees
// them: the protoc-gen-validate constraints compiled into go-control-plane (ValidateAll), applied
// to every message including the typed configs packed in Any fields, and the cross-resource
// checks an Envoy makes when it loads a snapshot (see cross.go).
//
// Input: JSON lines, each {"typeUrl": "...", "value": "<base64 protobuf bytes>", "group": "..."}.
// The bytes are what Rigging's encoder sends, so no JSON mapping stands between the two. "group"
// names one proxy's snapshot; with -cross, the cross-resource checks run within each group.
//
// Output (stdout): one JSON document {"resources", "groups", "violations": [...]}, each violation
// naming the group, the resource type and name, the field path and the rule.
// Exit status: 0 no violations, 1 violations found, 2 unreadable input or bad flags.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Violation is one rule an Envoy would enforce that a resource breaks.
type Violation struct {
	Group   string `json:"group,omitempty"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	Field   string `json:"field"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// Report is what the tool prints.
type Report struct {
	Resources  int         `json:"resources"`
	Groups     int         `json:"groups"`
	Violations []Violation `json:"violations"`
}

type inputLine struct {
	TypeURL string `json:"typeUrl"`
	Value   string `json:"value"`
	Group   string `json:"group"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("envoy-validate", flag.ContinueOnError)
	flags.SetOutput(stderr)
	cross := flags.Bool("cross", false, "also run the cross-resource checks within each group")
	sdsNames := flags.String("agent-sds-names", "default,ROOTCA",
		"secret names the node agent's SDS server resolves (besides file-cert:/file-root: names)")
	sdsCluster := flags.String("agent-sds-cluster", "sds-grpc", "the bootstrap cluster of the node agent's SDS server")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: envoy-validate [-cross] [-agent-sds-names a,b] [file.jsonl ...]  (stdin without files)")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return 2
	}
	var readers []namedReader
	if flags.NArg() == 0 {
		readers = append(readers, namedReader{"stdin", stdin})
	}
	for _, path := range flags.Args() {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintf(stderr, "envoy-validate: %v\n", err)
			return 2
		}
		defer f.Close()
		readers = append(readers, namedReader{path, f})
	}
	var resources []*Resource
	for _, r := range readers {
		got, err := readResources(r)
		if err != nil {
			fmt.Fprintf(stderr, "envoy-validate: %v\n", err)
			return 2
		}
		resources = append(resources, got...)
	}
	report := Report{Resources: len(resources), Violations: []Violation{}}
	groups := map[string][]*Resource{}
	var order []string
	for _, res := range resources {
		report.Violations = append(report.Violations, validateResource(res)...)
		if _, seen := groups[res.Group]; !seen {
			order = append(order, res.Group)
		}
		groups[res.Group] = append(groups[res.Group], res)
	}
	report.Groups = len(order)
	if *cross {
		agent := AgentSDS{Cluster: *sdsCluster, Names: map[string]bool{}}
		for _, n := range strings.Split(*sdsNames, ",") {
			if n = strings.TrimSpace(n); n != "" {
				agent.Names[n] = true
			}
		}
		for _, g := range order {
			report.Violations = append(report.Violations, crossCheck(g, groups[g], agent)...)
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(report); err != nil {
		fmt.Fprintf(stderr, "envoy-validate: %v\n", err)
		return 2
	}
	if len(report.Violations) > 0 {
		return 1
	}
	return 0
}

type namedReader struct {
	name string
	r    io.Reader
}

// readResources decodes every JSON line of one input; a line that cannot be read is an input
// error (exit 2), not a violation, so a broken collector never passes as "no violations".
func readResources(in namedReader) ([]*Resource, error) {
	var out []*Resource
	scanner := bufio.NewScanner(in.r)
	scanner.Buffer(make([]byte, 0, 1<<20), 1<<30)
	line := 0
	for scanner.Scan() {
		line++
		text := strings.TrimSpace(scanner.Text())
		if text == "" {
			continue
		}
		var l inputLine
		if err := json.Unmarshal([]byte(text), &l); err != nil {
			return nil, fmt.Errorf("%s:%d: not a JSON object: %v", in.name, line, err)
		}
		value, err := base64.StdEncoding.DecodeString(l.Value)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: value is not base64: %v", in.name, line, err)
		}
		res, err := decodeResource(l.TypeURL, value, l.Group)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", in.name, line, err)
		}
		out = append(out, res)
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", in.name, err)
	}
	return out, nil
}

// Command adsc-watch connects to an xDS server with Istio's own ADS client (istio.io/istio/pkg/adsc)
// as one sidecar, and prints every response it receives as a JSON line on stdout: type URL,
// version_info, nonce and resource names. adsc keeps its gRPC connection and starts a new stream
// after the server drops one, sending its requests with a non-empty response_nonce, as Envoy
// does when it reconnects to a restarted control plane or to another replica. Rigging's tests run
// it to see that such a client is configured again.
//
// Usage: adsc-watch -address 127.0.0.1:15010 [-ip 127.0.0.7] [-workload adsc] [-namespace default]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pkg/adsc"
)

// line is one printed event.
type line struct {
	Event   string   `json:"event"`
	At      int64    `json:"at"`
	Type    string   `json:"type,omitempty"`
	Version string   `json:"version,omitempty"`
	Nonce   string   `json:"nonce,omitempty"`
	Names   []string `json:"names,omitempty"`
	Node    string   `json:"node,omitempty"`
	Error   string   `json:"error,omitempty"`
}

var out = struct {
	sync.Mutex
	enc *json.Encoder
}{enc: json.NewEncoder(os.Stdout)}

func emit(l line) {
	l.At = time.Now().UnixMilli()
	out.Lock()
	defer out.Unlock()
	_ = out.enc.Encode(l)
}

type printer struct{}

// HandleResponse prints what arrived; adsc then stores and ACKs it.
func (printer) HandleResponse(_ *adsc.ADSC, r *discovery.DiscoveryResponse) {
	names := make([]string, 0, len(r.Resources))
	for _, any := range r.Resources {
		names = append(names, resourceName(r.TypeUrl, any.Value))
	}
	emit(line{Event: "response", Type: r.TypeUrl, Version: r.VersionInfo, Nonce: r.Nonce, Names: names})
}

func resourceName(typeURL string, value []byte) string {
	var m interface{ GetName() string }
	switch typeURL {
	case v3.ClusterType:
		m = &cluster.Cluster{}
	case v3.ListenerType:
		m = &listener.Listener{}
	case v3.RouteType:
		m = &route.RouteConfiguration{}
	case v3.EndpointType:
		c := &endpoint.ClusterLoadAssignment{}
		if proto.Unmarshal(value, c) != nil {
			return "?"
		}
		return c.ClusterName
	default:
		return "?"
	}
	if proto.Unmarshal(value, m.(proto.Message)) != nil {
		return "?"
	}
	return m.GetName()
}

func main() {
	address := flag.String("address", "127.0.0.1:15010", "plaintext ADS address")
	ip := flag.String("ip", "127.0.0.7", "the proxy's IP (in its node id)")
	workload := flag.String("workload", "adsc", "pod name (in the node id)")
	namespace := flag.String("namespace", "default", "namespace (node id and NAMESPACE metadata)")
	flag.Parse()

	meta, err := structpb.NewStruct(map[string]any{
		"NAMESPACE": *namespace,
		"LABELS":    map[string]any{"app": *workload},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	cfg := &adsc.ADSConfig{
		Config: adsc.Config{
			Namespace: *namespace,
			Workload:  *workload,
			IP:        *ip,
			Meta:      meta,
		},
		// CDS and LDS, as Envoy starts; adsc asks for EDS and RDS by name from what they name.
		InitialDiscoveryRequests: []*discovery.DiscoveryRequest{
			{TypeUrl: v3.ClusterType},
			{TypeUrl: v3.ListenerType},
		},
		ResponseHandler: printer{},
	}
	client, err := adsc.New(*address, cfg)
	if err != nil {
		emit(line{Event: "error", Error: err.Error()})
		os.Exit(1)
	}
	if err := client.Run(); err != nil {
		emit(line{Event: "error", Error: err.Error()})
		os.Exit(1)
	}
	emit(line{Event: "started", Node: fmt.Sprintf("sidecar~%s~%s.%s~%s.svc.cluster.local", *ip, *workload, *namespace, *namespace)})

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	client.Close()
}

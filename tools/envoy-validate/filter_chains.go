package main

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
)

// checkFilterChainMatches applies Envoy's rule that no two filter chains of a listener may
// match the same connection: Envoy expands each FilterChainMatch into every combination of its
// list fields (an empty list matches anything) and refuses the listener ("multiple filter chains
// with the same matching rules are defined") when one combination belongs to two chains.
// A listener that selects chains with filter_chain_matcher instead is checked for unique chain
// names, which that matcher refers to.
func checkFilterChainMatches(l *listenerv3.Listener, add func(string, string, string)) {
	if l.GetFilterChainMatcher() != nil {
		seen := map[string]int{}
		for i, chain := range l.GetFilterChains() {
			if j, dup := seen[chain.GetName()]; dup {
				add(fmt.Sprintf("filter_chains[%d].name", i), "unique_filter_chain_name",
					fmt.Sprintf("filter chain name %q is also filter_chains[%d]'s", chain.GetName(), j))
			}
			seen[chain.GetName()] = i
		}
		return
	}
	owner := map[string]int{}
	for i, chain := range l.GetFilterChains() {
		reported := false
		for _, key := range matchKeys(chain.GetFilterChainMatch()) {
			j, dup := owner[key]
			if dup && j != i && !reported {
				reported = true
				add(fmt.Sprintf("filter_chains[%d].filter_chain_match", i), "unique_filter_chain_match",
					fmt.Sprintf("matches the same connections as filter_chains[%d] (%s): Envoy refuses the listener", j, key))
			}
			if !dup {
				owner[key] = i
			}
		}
	}
}

// matchKeys expands a FilterChainMatch into one key per combination of its criteria.
func matchKeys(m *listenerv3.FilterChainMatch) []string {
	port := ""
	if m.GetDestinationPort() != nil {
		port = fmt.Sprint(m.GetDestinationPort().GetValue())
	}
	sourcePorts := make([]string, 0, len(m.GetSourcePorts()))
	for _, p := range m.GetSourcePorts() {
		sourcePorts = append(sourcePorts, fmt.Sprint(p))
	}
	dimensions := [][]string{
		{"port=" + port},
		prefixed("dst=", cidrs(m.GetPrefixRanges())),
		prefixed("sni=", m.GetServerNames()),
		{"transport=" + m.GetTransportProtocol()},
		prefixed("alpn=", m.GetApplicationProtocols()),
		prefixed("direct_src=", cidrs(m.GetDirectSourcePrefixRanges())),
		{"source_type=" + m.GetSourceType().String()},
		prefixed("src=", cidrs(m.GetSourcePrefixRanges())),
		prefixed("src_port=", sourcePorts),
	}
	keys := []string{""}
	for _, values := range dimensions {
		var next []string
		for _, k := range keys {
			for _, v := range values {
				next = append(next, strings.TrimPrefix(k+" "+v, " "))
			}
		}
		keys = next
	}
	return keys
}

func prefixed(prefix string, values []string) []string {
	if len(values) == 0 {
		return []string{prefix + "*"}
	}
	out := make([]string, 0, len(values))
	for _, v := range values {
		out = append(out, prefix+v)
	}
	return sorted(out)
}

// cidrs normalises ranges as Envoy does: the address masked to its prefix length, which
// defaults to the full address length.
func cidrs(ranges []*corev3.CidrRange) []string {
	out := make([]string, 0, len(ranges))
	for _, r := range ranges {
		addr, err := netip.ParseAddr(r.GetAddressPrefix())
		if err != nil {
			out = append(out, r.GetAddressPrefix()) // ValidateAll reports the bad address
			continue
		}
		bits := addr.BitLen()
		if r.GetPrefixLen() != nil {
			bits = int(r.GetPrefixLen().GetValue())
		}
		p, err := addr.Prefix(bits)
		if err != nil {
			out = append(out, fmt.Sprintf("%s/%d", addr, bits))
			continue
		}
		out = append(out, p.String())
	}
	return out
}

func sorted(values []string) []string {
	sort.Strings(values)
	return values
}

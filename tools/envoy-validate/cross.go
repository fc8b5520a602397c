package main

import (
	"fmt"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// AgentSDS is the node agent's SDS server (istio-agent's, or pilot-agent's): the bootstrap
// cluster it is reached by and the secret names it can produce.
type AgentSDS struct {
	Cluster string
	Names   map[string]bool
}

// resolves says whether the agent can produce the named secret: its own names (the workload
// certificate "default" and the root "ROOTCA") and the file-based names it reads from disk.
func (a AgentSDS) resolves(name string) bool {
	return a.Names[name] || strings.HasPrefix(name, "file-cert:") || strings.HasPrefix(name, "file-root:")
}

// crossCheck runs the checks that need more than one resource of a proxy's snapshot: what
// Envoy refuses or cannot serve when it loads them together.
func crossCheck(group string, resources []*Resource, agent AgentSDS) []Violation {
	var out []Violation
	names := map[string]map[string]bool{}
	for _, t := range shortTypes {
		names[t] = map[string]bool{}
	}
	for _, res := range resources {
		// A second resource of one type and name replaces the first (SotW) or is refused
		// (Envoy: "duplicate listener ... found"): either way one of them is lost.
		if names[res.Type][res.Name] {
			out = append(out, Violation{group, res.Type, res.Name, "name", "unique_name",
				fmt.Sprintf("two %s resources are named %q", res.Type, res.Name)})
		}
		names[res.Type][res.Name] = true
	}
	for _, res := range resources {
		add := func(field, rule, message string) {
			out = append(out, Violation{group, res.Type, res.Name, field, rule, message})
		}
		if l, ok := res.Message.(*listenerv3.Listener); ok {
			checkFilterChainMatches(l, add)
		}
		if c, ok := res.Message.(*clusterv3.Cluster); ok {
			checkEdsAssignment(c, names["EDS"], add)
		}
		eachMessage(res.Message.ProtoReflect(), "", func(path string, m protoreflect.Message) {
			checkReferences(path, m.Interface(), names, agent, add)
		})
	}
	return out
}

// isAds says whether a ConfigSource points back at the ADS stream the resource came on.
func isAds(source *corev3.ConfigSource) bool {
	return source.GetAds() != nil || source.GetSelf() != nil
}

// agentCluster is the cluster an API config source reaches, if it names exactly one.
func agentCluster(source *corev3.ConfigSource) string {
	services := source.GetApiConfigSource().GetGrpcServices()
	if len(services) != 1 {
		return ""
	}
	return services[0].GetEnvoyGrpc().GetClusterName()
}

func checkEdsAssignment(c *clusterv3.Cluster, assignments map[string]bool, add func(string, string, string)) {
	if c.GetType() != clusterv3.Cluster_EDS || !isAds(c.GetEdsClusterConfig().GetEdsConfig()) {
		return
	}
	name, field := c.GetEdsClusterConfig().GetServiceName(), "eds_cluster_config.service_name"
	if name == "" {
		name, field = c.GetName(), "name"
	}
	if !assignments[name] {
		add(field, "eds_exists", fmt.Sprintf("EDS cluster loads ClusterLoadAssignment %q over ADS, which the snapshot lacks: the cluster never warms", name))
	}
}

// checkReferences checks one message found anywhere in a resource (Anys unpacked) for names
// it needs from the rest of the snapshot.
func checkReferences(path string, m any, names map[string]map[string]bool, agent AgentSDS, add func(string, string, string)) {
	clusterRef := func(field, cluster string) {
		if cluster != "" && !names["CDS"][cluster] {
			add(joinPath(path, field), "cluster_exists", fmt.Sprintf("names cluster %q, which the snapshot's CDS lacks: Envoy answers 503 (NC) or never connects", cluster))
		}
	}
	switch v := m.(type) {
	case *routev3.RouteAction:
		clusterRef("cluster", v.GetCluster())
		for i, w := range v.GetWeightedClusters().GetClusters() {
			clusterRef(fmt.Sprintf("weighted_clusters.clusters[%d].name", i), w.GetName())
		}
		for i, mirror := range v.GetRequestMirrorPolicies() {
			clusterRef(fmt.Sprintf("request_mirror_policies[%d].cluster", i), mirror.GetCluster())
		}
	case *tcpv3.TcpProxy:
		clusterRef("cluster", v.GetCluster())
		for i, w := range v.GetWeightedClusters().GetClusters() {
			clusterRef(fmt.Sprintf("weighted_clusters.clusters[%d].name", i), w.GetName())
		}
	case *hcmv3.HttpConnectionManager:
		rds := v.GetRds()
		if rds != nil && isAds(rds.GetConfigSource()) && !names["RDS"][rds.GetRouteConfigName()] {
			add(joinPath(path, "rds.route_config_name"), "rds_exists", fmt.Sprintf("loads RouteConfiguration %q over ADS, which the snapshot lacks: the listener never warms", rds.GetRouteConfigName()))
		}
	case *tlsv3.SdsSecretConfig:
		checkSdsName(path, v, names["SDS"], agent, add)
	}
}

// checkSdsName checks that a secret a TLS context loads can be produced by whoever serves it:
// the control plane over ADS (a Secret in the snapshot) or the node agent (its own names).
func checkSdsName(path string, c *tlsv3.SdsSecretConfig, secrets map[string]bool, agent AgentSDS, add func(string, string, string)) {
	field := joinPath(path, "name")
	switch {
	case c.GetSdsConfig() == nil:
		// A static secret from the bootstrap: nothing this snapshot can break.
	case isAds(c.GetSdsConfig()):
		if !secrets[c.GetName()] {
			add(field, "sds_resolvable", fmt.Sprintf("loads secret %q over ADS, which the snapshot lacks: the TLS context never warms", c.GetName()))
		}
	case agentCluster(c.GetSdsConfig()) == agent.Cluster:
		if !agent.resolves(c.GetName()) {
			add(field, "sds_resolvable", fmt.Sprintf("asks the node agent (%s) for secret %q, which it does not produce (it serves %s and file-cert:/file-root: names)", agent.Cluster, c.GetName(), agentNames(agent)))
		}
	default:
		add(joinPath(path, "sds_config"), "sds_resolvable", fmt.Sprintf("secret %q comes from a source that is neither ADS nor the node agent's %s cluster", c.GetName(), agent.Cluster))
	}
}

func agentNames(a AgentSDS) string {
	var names []string
	for n := range a.Names {
		names = append(names, n)
	}
	if len(names) == 0 {
		return "no names"
	}
	return strings.Join(sorted(names), ", ")
}

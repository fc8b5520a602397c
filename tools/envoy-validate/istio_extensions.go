package main

// istioProxyExtensions are typed configs that Istio's proxyv2 build of Envoy registers on top of
// upstream Envoy (its own filters, from the istio/proxy repository). go-control-plane carries
// only upstream Envoy's protos, so it cannot decode them; an Envoy without Istio's extensions
// would refuse them, but the proxy Rigging targets is Istio's proxyv2, which instantiates them.
// Their fields are still checked: Rigging's encoder encodes them against the descriptor in
// xds/protos and compares the decoded result with what the compiler meant (compare-decoded).
var istioProxyExtensions = map[string]bool{
	// istio.stats: the standard istio_* metrics on HCMs and before tcp_proxy.
	"type.googleapis.com/stats.PluginConfig": true,
}

//go:build tools

// Package istiobins pins Istio's own binaries that Rigging's tests run against its control plane:
// pilot-agent (the agent inside every istio-proxy sidecar and grpc-agent pod) and pilot-discovery
// (istiod, the reference control plane).
package istiobins

import (
	_ "istio.io/istio/pilot/cmd/pilot-agent"
	_ "istio.io/istio/pilot/cmd/pilot-discovery"
)

//go:build tools

// Package kwokbin pins kwok, which runs Rigging's fake nodes.
package kwokbin

import _ "sigs.k8s.io/kwok/cmd/kwok"

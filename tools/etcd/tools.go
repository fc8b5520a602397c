//go:build tools

// Package etcdbin pins the etcd server that Rigging's local cluster runs.
package etcdbin

import _ "go.etcd.io/etcd/server/v3"

// Command etcd is upstream etcd's server entry point, built from go.etcd.io/etcd/server/v3 so its version follows
// this module's go.mod (the one Kubernetes itself is tested against).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }

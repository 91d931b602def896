// Command pulumi-language-nodejs is gray-release's own Node.js language host for the Pulumi engine.
//
// Why it exists: upstream's language host lives in a Go module of its own
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) that has no tags, and the module proxy
// this project builds from does not serve it at any pseudo-version we could name. The engine only needs a small
// gRPC contract from a language host, so we implement that contract here on top of the served sdk/v3 module.
// It drives exactly the same Node entry points upstream's host drives (@pulumi/pulumi/cmd/run and
// cmd/run-policy-pack from the program's own node_modules), so programs and policy packs behave as they would
// with the upstream host. Where the internet is reachable, the upstream host can be installed instead.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

func main() {
	// The engine passes flags such as -tracing, -root and -binary; we accept and ignore what we do not use.
	flags := flag.NewFlagSet("pulumi-language-nodejs", flag.ContinueOnError)
	flags.String("tracing", "", "tracing endpoint (ignored)")
	flags.String("root", "", "project root (ignored: the engine sends it with each request)")
	flags.String("binary", "", "prebuilt program binary (unsupported for Node.js)")
	flags.String("typescript", "", "deprecated runtime option (read from the request instead)")
	flags.String("tsconfig", "", "deprecated runtime option (read from the request instead)")
	flags.String("nodeargs", "", "deprecated runtime option (read from the request instead)")
	flags.String("packagemanager", "", "deprecated runtime option (read from the request instead)")
	if err := flags.Parse(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(2)
	}

	var engineAddress string
	if flags.NArg() > 0 {
		engineAddress = flags.Arg(0)
	}

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-language-nodejs: could not find `node` on the PATH")
		os.Exit(1)
	}

	host := newNodeHost(nodeBin, engineAddress)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start the gRPC server: %v\n", err)
		os.Exit(1)
	}

	// The engine reads the port from our first line of output.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: gRPC server stopped: %v\n", err)
		os.Exit(1)
	}
}

// Command pulumi-resource-kubernetes serves the upstream Kubernetes provider from its Go module.
//
// Upstream's own main package embeds files produced by `go generate`, which a module download does not run,
// so it cannot be built with `go build` from the module cache. This main does the same job: the build script
// copies schema.json and terraform-mapping.json out of the downloaded module next to this file (they are not
// committed), and we hand them to the provider's Serve.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
)

//go:embed schema.json
var pulumiSchema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

// version is stamped by the build script with the @pulumi/kubernetes npm version the binary is registered
// under: the engine finds plugins by that exact version.
var version = "0.0.0-dev"

func main() {
	provider.Serve("kubernetes", version, pulumiSchema, terraformMapping)
}

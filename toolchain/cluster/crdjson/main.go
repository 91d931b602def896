// Command crdjson reads multi-document YAML files and prints the CustomResourceDefinitions among them as one JSON
// array, so the tests load the CRDs with JSON.parse instead of parsing megabytes of YAML on every cluster start.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/util/yaml"
)

func main() {
	crds := []map[string]any{}
	for _, file := range os.Args[1:] {
		f, err := os.Open(file)
		if err != nil {
			fail(err)
		}
		dec := yaml.NewYAMLOrJSONDecoder(f, 1<<20)
		for {
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				fail(fmt.Errorf("%s: %w", file, err))
			}
			if obj["kind"] == "CustomResourceDefinition" {
				crds = append(crds, obj)
			}
		}
		f.Close()
	}
	if err := json.NewEncoder(os.Stdout).Encode(crds); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "crdjson:", err)
	os.Exit(1)
}

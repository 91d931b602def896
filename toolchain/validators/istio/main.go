// istio-validator: Istio's own configuration checks, offline, from the istio.io/istio module.
//
//	istio-validator validate -f FILE|-   istioctl's `validate` command (istio.io/istio/istioctl/pkg/validate), unchanged
//	istio-validator analyze --use-kube=false [-o json] FILE...
//	                                     istioctl's `analyze` command (istio.io/istio/istioctl/pkg/analyze), unchanged:
//	                                     the cross-object analyzers (subsets, hosts, Services, ...) on files
//	istio-validator objects < docs.yaml  every YAML/JSON document of stdin through that same `validate` command, one
//	                                     at a time, in one process; prints a JSON array with one verdict per document
//	                                     (so a test can validate thousands of objects without a process per object)
//	istio-validator analyze-with-kube FILE...
//	                                     the same analyzers as `analyze`, on files that also hold the Kubernetes
//	                                     objects a cluster would have (Services, Namespaces, Pods ...): offline,
//	                                     `istioctl analyze --use-kube=false` ignores those (so it cannot see a
//	                                     VirtualService host without a Service); this reads them as
//	                                     `istioctl analyze` reads a live cluster. Prints the messages as JSON.
//
// The `objects` verdict of a document is exactly what `istioctl validate -f <that document>` says: its error (the
// istioctl message, e.g. `VirtualService/ns/name: weight -1 < 0`), or its warnings, or nothing.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	kubeyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"istio.io/istio/istioctl/pkg/analyze"
	"istio.io/istio/istioctl/pkg/cli"
	"istio.io/istio/istioctl/pkg/validate"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/analysis/analyzers"
	"istio.io/istio/pkg/config/analysis/diag"
	"istio.io/istio/pkg/config/analysis/local"
	"istio.io/istio/pkg/config/constants"
	"istio.io/istio/pkg/config/resource"
	"istio.io/istio/pkg/config/schema/collections"
	"istio.io/istio/pkg/log"
)

// Verdict of one document of `objects`.
type verdict struct {
	Index      int    `json:"index"`
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	// Istio: an Istio kind, validated by its schema's ValidateConfig (Istio's validation code).
	Istio bool `json:"istio"`
	// Valid: istioctl validate returned no error for the document.
	Valid bool `json:"valid"`
	// Error: the istioctl validate error, as istioctl prints it.
	Error string `json:"error,omitempty"`
	// Warnings: istioctl validate's warnings for the document.
	Warnings string `json:"warnings,omitempty"`
	// Output: anything else istioctl validate printed (e.g. its notes on Deployments' telemetry labels).
	Output string `json:"output,omitempty"`
}

func main() {
	viper.SetDefault("istioNamespace", constants.IstioSystemNamespace)
	root := &cobra.Command{
		Use:           "istio-validator",
		Short:         "Istio's validation and offline analysis (istioctl validate / analyze) on files",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	flags := root.PersistentFlags()
	ctx := cli.NewCLIContext(cli.AddRootFlags(flags))
	opts := log.DefaultOptions()
	opts.SetDefaultOutputLevel(log.OverrideScopeName, log.ErrorLevel)
	_ = log.Configure(opts)

	root.AddCommand(validate.NewValidateCommand(ctx), analyze.Analyze(ctx), objectsCommand(ctx), analyzeWithKubeCommand())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func objectsCommand(ctx cli.Context) *cobra.Command {
	return &cobra.Command{
		Use:   "objects",
		Short: "istioctl validate on each YAML/JSON document of stdin; prints one JSON verdict per document",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			dir, err := os.MkdirTemp("", "istio-validator-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			reader := kubeyaml.NewYAMLReader(bufio.NewReader(os.Stdin))
			verdicts := []verdict{}
			for i := 0; ; i++ {
				doc, err := reader.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					return fmt.Errorf("document %d: %v", i, err)
				}
				if len(bytes.TrimSpace(doc)) == 0 {
					i--
					continue
				}
				v, err := checkDocument(ctx, dir, i, doc)
				if err != nil {
					return err
				}
				verdicts = append(verdicts, v)
			}
			enc := json.NewEncoder(c.OutOrStdout())
			enc.SetIndent("", " ")
			return enc.Encode(verdicts)
		},
	}
}

func checkDocument(ctx cli.Context, dir string, i int, doc []byte) (verdict, error) {
	v := verdict{Index: i}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		v.Error = "cannot decode the document: " + err.Error()
		return v, nil
	}
	v.APIVersion, v.Kind, v.Name, v.Namespace = head.APIVersion, head.Kind, head.Metadata.Name, head.Metadata.Namespace
	group, version, _ := strings.Cut(head.APIVersion, "/")
	if version == "" {
		group, version = "", group
	}
	_, v.Istio = collections.Pilot.FindByGroupVersionAliasesKind(config.GroupVersionKind{Group: group, Version: version, Kind: head.Kind})

	file := filepath.Join(dir, fmt.Sprintf("doc-%d.yaml", i))
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		return v, err
	}
	defer os.Remove(file)
	var out bytes.Buffer
	cmd := validate.NewValidateCommand(ctx)
	cmd.SetArgs([]string{"-f", file})
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	v.Valid = err == nil
	if err != nil {
		v.Error = strings.TrimSpace(err.Error())
	}
	quoted := fmt.Sprintf("%q", file)
	var warnings, other []string
	inWarnings := false
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		switch {
		case line == quoted+" is valid":
		case strings.HasPrefix(line, quoted+" has warnings:"):
			inWarnings = true
			if w := strings.TrimSpace(strings.TrimPrefix(line, quoted+" has warnings:")); w != "" {
				warnings = append(warnings, w)
			}
		case inWarnings && strings.HasPrefix(line, "\t"):
			warnings = append(warnings, strings.TrimSpace(line))
		case strings.TrimSpace(line) == "":
		default:
			inWarnings = false
			other = append(other, strings.ReplaceAll(line, file, "-"))
		}
	}
	v.Warnings = strings.Join(warnings, "\n")
	v.Output = strings.Join(other, "\n")
	return v, nil
}

func analyzeWithKubeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "analyze-with-kube FILE...",
		Short: "istioctl analyze's analyzers on files, Kubernetes objects (Services, Pods ...) included; JSON messages",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			sa := local.NewIstiodAnalyzer(analyzers.AllCombined(), "", resource.Namespace(constants.IstioSystemNamespace), nil)
			var readers []local.ReaderSource
			for _, f := range args {
				r, err := os.Open(f)
				if err != nil {
					return err
				}
				defer r.Close()
				readers = append(readers, local.ReaderSource{Name: f, Reader: r})
			}
			// The files first: the first reader source fixes the collections the analysis sees (here every Kubernetes
			// kind too); then the defaults istioctl assumes without a cluster (the ingress gateway).
			if err := sa.AddTestReaderKubeSource(readers); err != nil {
				return fmt.Errorf("adding files: %v", err)
			}
			if err := sa.AddDefaultResources(); err != nil {
				return err
			}
			cancel := make(chan struct{})
			result, err := sa.Analyze(cancel)
			if err != nil {
				return err
			}
			if len(result.SkippedAnalyzers) > 0 {
				fmt.Fprintf(c.ErrOrStderr(), "skipped analyzers: %s\n", strings.Join(result.SkippedAnalyzers, ", "))
			}
			messages := diag.Messages{}
			if m := result.Messages.SetDocRef("istioctl-analyze"); m != nil {
				messages = append(messages, *m...)
			}
			enc := json.NewEncoder(c.OutOrStdout())
			enc.SetIndent("", " ")
			return enc.Encode(messages)
		},
	}
}

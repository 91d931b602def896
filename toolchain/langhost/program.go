package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// programDirectory is where the program's package.json and node_modules are.
func programDirectory(info *pulumirpc.ProgramInfo) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	if info != nil && info.GetRootDirectory() != "" {
		return info.GetRootDirectory()
	}
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return wd
}

// entryPoint is what @pulumi/pulumi/cmd/run should load: an absolute path, so that it does not depend on the
// working directory the engine chose.
func entryPoint(info *pulumirpc.ProgramInfo, program string) string {
	dir := programDirectory(info)
	entry := "."
	if info != nil && info.GetEntryPoint() != "" {
		entry = info.GetEntryPoint()
	} else if program != "" {
		entry = program
	}
	if filepath.IsAbs(entry) {
		return entry
	}
	return filepath.Join(dir, entry)
}

type options map[string]interface{}

func runtimeOptions(info *pulumirpc.ProgramInfo) options {
	if info == nil || info.GetOptions() == nil {
		return options{}
	}
	return options(info.GetOptions().AsMap())
}

func (o options) str(key string) string {
	if v, ok := o[key]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

// typeScriptEnv mirrors the Pulumi.yaml runtime options `typescript` (default true) and `tsconfig` into the
// environment variables @pulumi/pulumi's run script reads.
func typeScriptEnv(o options) []string {
	ts := "true"
	if v, ok := o["typescript"].(bool); ok && !v {
		ts = "false"
	}
	env := []string{"PULUMI_NODEJS_TYPESCRIPT=" + ts}
	if cfg := o.str("tsconfig"); cfg != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+cfg)
	}
	return env
}

type packageJSON struct {
	Name         string            `json:"name"`
	Version      string            `json:"version"`
	Dependencies map[string]string `json:"dependencies"`
	Pulumi       struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return &p, nil
}

// nearestNodeModules walks up from dir, as Node's resolution does, to the first node_modules folder.
func nearestNodeModules(dir string) (string, bool) {
	for {
		candidate := filepath.Join(dir, "node_modules")
		if st, err := os.Stat(candidate); err == nil && st.IsDir() {
			return candidate, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// installedPackageDirs lists node_modules/<name> and node_modules/@scope/<name> visible from dir.
func installedPackageDirs(dir string) ([]string, error) {
	root, ok := nearestNodeModules(dir)
	if !ok {
		return nil, nil
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if strings.HasPrefix(name, "@") {
			scoped, err := os.ReadDir(filepath.Join(root, name))
			if err != nil {
				continue
			}
			for _, s := range scoped {
				dirs = append(dirs, filepath.Join(root, name, s.Name()))
			}
			continue
		}
		dirs = append(dirs, filepath.Join(root, name))
	}
	return dirs, nil
}

// findProviderPackages reports the resource plugins the program's installed npm packages declare
// (package.json "pulumi": {"resource": true}), so the engine can check them before the program runs.
func findProviderPackages(dir string) ([]*pulumirpc.PackageDependency, error) {
	dirs, err := installedPackageDirs(dir)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var pkgs []*pulumirpc.PackageDependency
	for _, d := range dirs {
		p, err := readPackageJSON(filepath.Join(d, "package.json"))
		if err != nil || !p.Pulumi.Resource {
			continue
		}
		name := p.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(strings.TrimPrefix(p.Name, "@pulumi/"), "@")
		}
		version := p.Pulumi.Version
		if version == "" {
			version = p.Version
		}
		if version != "" && !strings.HasPrefix(version, "v") {
			version = "v" + version
		}
		key := name + "@" + version
		if seen[key] {
			continue
		}
		seen[key] = true
		pkgs = append(pkgs, &pulumirpc.PackageDependency{
			Kind: "resource", Name: name, Version: version, Server: p.Pulumi.Server,
		})
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Name < pkgs[j].Name })
	return pkgs, nil
}

// installedDependencies lists the program's direct dependencies with the versions actually installed.
func installedDependencies(dir string) ([]*pulumirpc.DependencyInfo, error) {
	p, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(p.Dependencies))
	for n := range p.Dependencies {
		names = append(names, n)
	}
	sort.Strings(names)
	deps := make([]*pulumirpc.DependencyInfo, 0, len(names))
	modules, _ := nearestNodeModules(dir)
	for _, n := range names {
		version := p.Dependencies[n]
		if installed, err := readPackageJSON(filepath.Join(modules, n, "package.json")); err == nil {
			version = installed.Version
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: n, Version: version})
	}
	return deps, nil
}

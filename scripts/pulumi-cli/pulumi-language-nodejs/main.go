// Command pulumi-language-nodejs is a small stand-in for Pulumi's Node.js
// language host, built from this wrapper module by scripts/ensure-pulumi.sh.
//
// Why it exists: the upstream host lives in its own untagged module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) and the
// Go module proxy reachable here refuses every version of it, while pkg/v3
// and sdk/v3 are served. The engine only needs a few RPCs from a language host
// to run a Node.js program: Run spawns `node @pulumi/pulumi/cmd/run` with the
// flags and environment that script documents (see its usage()), and the
// plugin discovery RPCs let the engine pre-load resource plugins. RunPlugin
// starts Node.js policy packs (policy.go). Everything else stays
// unimplemented, which the engine tolerates.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Exit code with which @pulumi/pulumi/cmd/run reports an error it already
// printed; the engine must then not print another one.
const exitAfterUserActionableMessage = 32

func main() {
	engineAddress, tracing, verbose, logToStderr := parseArgs(os.Args[1:])
	logging.InitLogging(logToStderr, verbose, false)
	cmdutil.InitTracing("pulumi-language-nodejs", "pulumi-language-nodejs", tracing)

	host := &nodeHost{engineAddress: engineAddress, tracing: tracing}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

// parseArgs accepts the engine's plugin flags (--logtostderr, -v=N,
// --tracing URL) without failing on ones a newer engine may add; the last
// positional argument is the engine address.
func parseArgs(args []string) (engine, tracing string, verbose int, logToStderr bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			engine = a
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch name {
		case "logtostderr":
			logToStderr = true
		case "v":
			verbose, _ = strconv.Atoi(value)
		case "tracing", "root":
			if !hasValue && i+1 < len(args) {
				i++
				value = args[i]
			}
			if name == "tracing" {
				tracing = value
			}
		}
	}
	return engine, tracing, verbose, logToStderr
}

type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	tracing       string
}

func (h *nodeHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *nodeHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// runtimeOptions mirrors the `runtime.options` of a nodejs Pulumi.yaml that
// change how the program is started.
type runtimeOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   []string
}

func parseOptions(info *pulumirpc.ProgramInfo) runtimeOptions {
	opts := runtimeOptions{typescript: true} // Pulumi's default for nodejs
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"].(bool); ok {
		opts.typescript = v
	}
	if v, ok := m["tsconfig"].(string); ok {
		opts.tsconfig = v
	}
	if v, ok := m["nodeargs"].(string); ok {
		opts.nodeargs = strings.Fields(v)
	}
	return opts
}

func programDir(info *pulumirpc.ProgramInfo, fallback string) string {
	if d := info.GetProgramDirectory(); d != "" {
		return d
	}
	return fallback
}

func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	pwd := req.GetPwd()
	dir := programDir(info, pwd)
	if pwd == "" {
		pwd = dir
	}
	opts := parseOptions(info)

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH: " + err.Error()}, nil
	}
	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		if runPath, err = resolveModule(ctx, nodeBin, dir, "@pulumi/pulumi/cmd/run"); err != nil {
			return &pulumirpc.RunResponse{Error: "It looks like the Pulumi SDK has not been installed. " +
				"Have you run npm install or yarn install? (" + err.Error() + ")"}, nil
		}
	}

	// The entry point is relative to the program directory; run.js resolves
	// it against --pwd and treats "." as "use package.json's main".
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = req.GetProgram()
	}
	if entry == "" {
		entry = "."
	}
	if filepath.Clean(dir) != filepath.Clean(pwd) {
		entry = filepath.Join(dir, entry)
	}

	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()

	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	flag := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k+"="+v)
		}
	}
	flag("monitor", req.GetMonitorAddress())
	flag("engine", engine)
	flag("organization", req.GetOrganization())
	flag("project", req.GetProject())
	flag("stack", req.GetStack())
	flag("root-directory", info.GetRootDirectory())
	flag("pwd", pwd)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetQueryMode() {
		args = append(args, "--query-mode")
	}
	if req.GetParallel() > 0 {
		flag("parallel", strconv.Itoa(int(req.GetParallel())))
	}
	flag("tracing", h.tracing)
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	logging.V(5).Infof("language host launching: %s %s", nodeBin, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, nodeBin, args...)
	cmd.Dir = pwd
	cmd.Env = env
	// The engine relays our stdout/stderr, so the program's console output
	// reaches the user unchanged.
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitAfterUserActionableMessage {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{Error: "could not run node: " + err.Error()}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// resolveModule asks node where a module is, so the SDK that the program
// itself would load is the one we start.
func resolveModule(ctx context.Context, nodeBin, dir, module string) (string, error) {
	cmd := exec.CommandContext(ctx, nodeBin, "-e", "console.log(require.resolve(process.argv[1]))", module)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cannot resolve %s from %s: %w", module, dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// pluginPackage is a node package that declares a Pulumi resource plugin
// through the "pulumi" section of its package.json.
type pluginPackage struct {
	name, version, server string
}

// findPluginPackages looks at the packages Node would resolve from dir: each
// node_modules folder from dir up to the root, nearest first, one level deep
// (plus @scope folders).
func findPluginPackages(dir string) []pluginPackage {
	seen := map[string]bool{}
	var found []pluginPackage
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		nm := filepath.Join(d, "node_modules")
		entries, _ := os.ReadDir(nm)
		for _, e := range entries {
			pkgDirs := []string{filepath.Join(nm, e.Name())}
			if strings.HasPrefix(e.Name(), "@") {
				pkgDirs = nil
				scoped, _ := os.ReadDir(filepath.Join(nm, e.Name()))
				for _, s := range scoped {
					pkgDirs = append(pkgDirs, filepath.Join(nm, e.Name(), s.Name()))
				}
			}
			for _, p := range pkgDirs {
				if pkg, ok := readPluginPackage(p); ok && !seen[pkg.name] {
					seen[pkg.name] = true
					found = append(found, pkg)
				}
			}
		}
		if filepath.Dir(d) == d {
			return found
		}
	}
}

func readPluginPackage(pkgDir string) (pluginPackage, bool) {
	b, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
	if err != nil {
		return pluginPackage{}, false
	}
	var pj struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Pulumi  struct {
			Resource bool   `json:"resource"`
			Name     string `json:"name"`
			Version  string `json:"version"`
			Server   string `json:"server"`
			// Parameterized packages need more than a plugin name; the engine
			// resolves those on demand instead.
			Parameterization json.RawMessage `json:"parameterization"`
		} `json:"pulumi"`
	}
	if json.Unmarshal(b, &pj) != nil || !pj.Pulumi.Resource || len(pj.Pulumi.Parameterization) > 0 {
		return pluginPackage{}, false
	}
	name := pj.Pulumi.Name
	if name == "" {
		name = strings.TrimPrefix(strings.TrimPrefix(pj.Name, "@pulumi/"), "@")
	}
	ver := pj.Pulumi.Version
	if ver == "" {
		ver = pj.Version
	}
	if name == "" || ver == "" {
		return pluginPackage{}, false
	}
	if !strings.HasPrefix(ver, "v") {
		ver = "v" + ver
	}
	return pluginPackage{name: name, version: ver, server: pj.Pulumi.Server}, true
}

func (h *nodeHost) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	var deps []*pulumirpc.PackageDependency
	for _, p := range findPluginPackages(programDir(req.GetInfo(), ".")) {
		deps = append(deps, &pulumirpc.PackageDependency{
			Kind: "resource", Name: p.name, Version: p.version, Server: p.server,
		})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

func (h *nodeHost) GetRequiredPlugins(
	_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	var deps []*pulumirpc.PluginDependency
	for _, p := range findPluginPackages(programDir(req.GetInfo(), req.GetProgram())) { //nolint:staticcheck
		deps = append(deps, &pulumirpc.PluginDependency{
			Kind: "resource", Name: p.name, Version: p.version, Server: p.server,
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: deps}, nil
}

// streamWriter forwards dependency-install output to the engine.
type streamWriter struct {
	mu     *sync.Mutex
	stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	msg := &pulumirpc.InstallDependenciesResponse{}
	if w.stderr {
		msg.Stderr = append([]byte(nil), p...)
	} else {
		msg.Stdout = append([]byte(nil), p...)
	}
	return len(p), w.stream.Send(msg)
}

// InstallDependencies backs `pulumi install`: plain `npm install`, the
// package manager this project uses.
func (h *nodeHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	dir := programDir(req.GetInfo(), req.GetDirectory()) //nolint:staticcheck
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		return nil
	}
	var mu sync.Mutex
	cmd := exec.CommandContext(stream.Context(), "npm", "install")
	cmd.Dir = dir
	cmd.Stdout = streamWriter{&mu, stream, false}
	cmd.Stderr = streamWriter{&mu, stream, true}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install in %s failed: %w", dir, err)
	}
	return nil
}

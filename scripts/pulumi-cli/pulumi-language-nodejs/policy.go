package main

// RunPlugin, for policy packs: since v3.2xx the engine starts a Node.js
// policy pack through the language host of its PulumiPolicy.yaml runtime
// (sdk/v3 go/common/resource/plugin/analyzer_plugin.go: NewPolicyAnalyzer
// calls newPlugin on the pack's directory, which calls the runtime's
// RunPlugin with kind "analyzer"); the `pulumi-analyzer-policy` shim is only
// tried when no language host is found. What the host has to do:
//
//   - run `node <@pulumi/pulumi/cmd/run-policy-pack> <engine args...> <pack dir>`
//     from the pack's directory, resolving the SDK the pack itself would load;
//   - stream the child's stdout and stderr back to the engine, which reads
//     the analyzer's port from the first line of stdout;
//   - answer the engine's ConfigureStack call before the pack is up, and give
//     the pack the stack, project and organization in its environment
//     (PULUMI_NODEJS_STACK, ...), so that pulumi.getStack() works in a policy.
//
// The last part is what sdk/v3's PolicyProxy does: it serves the Analyzer
// API on a port of its own, prints that port first, keeps the ConfigureStack
// request, and once the real pack prints its port forwards every call to it.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const analyzerKind = "analyzer"

func (h *nodeHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	if req.GetKind() != analyzerKind {
		// Resource plugins of this project are dynamic providers, started by
		// the engine's pulumi-resource-pulumi-nodejs script, never from here.
		return status.Errorf(codes.Unimplemented, "this language host runs policy packs only, not %q plugins", req.GetKind())
	}
	ctx := server.Context()
	info := req.GetInfo()
	dir := programDir(info, req.GetPwd())

	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	runPath, err := resolveModule(ctx, nodeBin, dir, "@pulumi/pulumi/cmd/run-policy-pack")
	if err != nil {
		return fmt.Errorf("it looks like the policy pack's dependencies are not installed; "+
			"try running npm install in %q (%w)", dir, err)
	}
	opts := parseOptions(info)
	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	// The engine's arguments (its address) first, the pack's directory last.
	args = append(args, req.GetArgs()...)
	args = append(args, dir)

	env := append([]string{}, req.GetEnv()...)
	if len(env) == 0 {
		env = os.Environ()
	}
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	proxy, proxyStdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return fmt.Errorf("could not start the policy pack proxy: %w", err)
	}
	stack, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("no stack configuration from the engine: %w", err)
	}
	if stack != nil {
		set := func(k, v string) {
			if v != "" {
				env = append(env, k+"="+v)
			}
		}
		set("PULUMI_NODEJS_ORGANIZATION", stack.GetOrganization())
		set("PULUMI_NODEJS_PROJECT", stack.GetProject())
		set("PULUMI_NODEJS_STACK", stack.GetStack())
		set("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(stack.GetDryRun()))
		if cfg := stack.GetConfig(); cfg != nil {
			b, err := json.Marshal(cfg)
			if err != nil {
				return fmt.Errorf("could not encode the stack configuration: %w", err)
			}
			env = append(env, "PULUMI_CONFIG="+string(b))
		}
	}

	cmd := exec.CommandContext(ctx, nodeBin, args...)
	cmd.Dir = dir // policy packs have always run from their own directory
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = proxyStdout, stderr
	logging.V(5).Infof("language host launching policy pack: %s %v", nodeBin, args)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not run node: %w", err)
	}
	// Attach waits for the pack's port, forwards to it, and returns when it exits.
	if err := proxy.Attach(ctx, cmd); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return fmt.Errorf("policy pack exited with non-zero exit code: %d", exitErr.ExitCode())
		}
		return err
	}
	return closer.Close()
}

import type * as pulumi from "@pulumi/pulumi";

type Method = "configure" | "check" | "diff" | "create" | "read" | "update" | "delete";

/** A provider with every method this package implements. */
export type ForwardingProvider = Required<Pick<pulumi.dynamic.ResourceProvider, Method>>;

/**
 * A provider object whose every method forwards to the provider `target()` returns when called.
 * Both objects Pulumi may store in the state are made with it: it resolves the real provider in
 * the provider process, at call time, so nothing of it is copied into the state.
 */
export function forwardTo(
  target: () => ForwardingProvider | Promise<ForwardingProvider>,
): ForwardingProvider {
  return {
    configure: async (req) => (await target()).configure(req),
    check: async (olds, news) => (await target()).check(olds, news),
    diff: async (id, olds, news) => (await target()).diff(id, olds, news),
    create: async (inputs) => (await target()).create(inputs),
    read: async (id, props) => (await target()).read(id, props),
    update: async (id, olds, news) => (await target()).update(id, olds, news),
    delete: async (id, props) => (await target()).delete(id, props),
  };
}

import type * as pulumi from "@pulumi/pulumi";
import type { PhoneNumberWebhooksProvider } from "./lifecycle";

/**
 * A provider object whose every method forwards to the provider `target()` returns when called.
 * Both objects Pulumi may store in the state are made with it: it resolves the real provider in
 * the provider process, at call time, so nothing of it is copied into the state.
 */
export function forwardTo(target: () => PhoneNumberWebhooksProvider): pulumi.dynamic.ResourceProvider {
  return {
    configure: (req) => target().configure(req),
    check: (olds, news) => target().check(olds, news),
    diff: (id, olds, news) => target().diff(id, olds, news),
    create: (inputs) => target().create(inputs),
    read: (id, props) => target().read(id, props),
    update: (id, olds, news) => target().update(id, olds, news),
    delete: (id, props) => target().delete(id, props),
  };
}

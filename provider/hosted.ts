/**
 * The provider object stored in the state when this package is installed under `node_modules`.
 * Pulumi's closure serializer captures a module's exports as a `require` of that module, so each
 * resource's `__provider` is a reference of a few hundred bytes instead of code, and refresh and
 * destroy run the installed version of the package.
 */
import type * as pulumi from "@pulumi/pulumi";
import { sharedProvider } from "./lifecycle";

const hostedProvider: pulumi.dynamic.ResourceProvider = {
  configure: (req) => sharedProvider().configure(req),
  check: (olds, news) => sharedProvider().check(olds, news),
  diff: (id, olds, news) => sharedProvider().diff(id, olds, news),
  create: (inputs) => sharedProvider().create(inputs),
  read: (id, props) => sharedProvider().read(id, props),
  update: (id, olds, news) => sharedProvider().update(id, olds, news),
  delete: (id, props) => sharedProvider().delete(id, props),
};

export = hostedProvider;

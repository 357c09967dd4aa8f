/**
 * The provider object stored in the state when this package is installed under `node_modules`.
 * Pulumi's closure serializer captures a module's exports as a `require` of that module, so each
 * resource's `__provider` is a reference of a few hundred bytes instead of code, and refresh and
 * destroy run the installed version of the package. The lifecycle (and the carrier SDKs) load
 * only when a method is called, in the provider process, not in the program.
 */
import { forwardTo } from "./forward";

export = forwardTo(async () => (await import("./lifecycle.js")).sharedProvider());

/**
 * The provider object stored in the state of a `PhoneNumberWebhooksSet` installed under
 * `node_modules`: a `require` of this module, like `hosted.ts` for `PhoneNumberWebhooks`. The set's
 * lifecycle runs its members through the same per-process provider as the per-number resources,
 * so both share carrier clients, caches and locks.
 */
import { forwardTo } from "./forward";

export = forwardTo(async () => (await import("./set-lifecycle.js")).sharedSetProvider());

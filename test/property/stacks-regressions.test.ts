/**
 * The sequences the model-based test of stacks on shared Telnyx objects found failing, shrunk, each
 * kept as it was found: invariants 1 to 4 hold after every command, and once every stack is
 * destroyed. The two reproductions of the issue come first.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  ConsoleEditCommand,
  DestroyCommand,
  quietWarnings,
  RefreshCommand,
  replay,
  resource,
  UpCommand,
} from "./stacks-model";

beforeAll(() => quietWarnings());

const A = "+13125550200"; // production's, alone with +…201 on support-app and support-sms
const B = "+13125550201"; // staging's
const TEXML = "+13125550202"; // qa's, on ivr-texml and ivr-sms
const ON_SALES = "+13125550203"; // production's, on sales-app and sales-sms
const ON_SALES_QA = "+13125550204";
const ON_SALES_QA2 = "+13125550205";
const ON_IVR = "+13125550206"; // staging's, on ivr-texml and ivr-sms
const ON_IVR_PROD = "+13125550207";
const CROSS = "+13125550210"; // staging's, on sales-app and ivr-sms

const ok = (log: string[]) => expect(log.filter((l) => !l.endsWith(": ok"))).toEqual([]);

describe("stacks on shared Telnyx objects: the issue's reproductions", () => {
  it("two stacks isolated on one application and profile, destroyed in the natural order", async () => {
    ok(
      await replay([
        new UpCommand("staging", [resource("web0", [B], "isolate")]),
        new UpCommand("production", [resource("web0", [A], "isolate")]),
        new DestroyCommand("staging"),
        new DestroyCommand("production"),
      ]),
    );
  });

  it("an isolated number replaced by its neighbour, create before delete and delete before create", async () => {
    for (const deleteBeforeReplace of [false, true])
      ok(
        await replay([
          new UpCommand("production", [resource("web0", [A], "isolate")]),
          // (B is staging's in the model's pools; here production's alone.)
          new UpCommand("production", [resource("web0", [B], "isolate", { deleteBeforeReplace })]),
          new DestroyCommand("production"),
        ]),
      );
  });
});

describe("stacks on shared Telnyx objects: what the model found", () => {
  it("a set member gets back the fallback it never managed (the set records the fields it manages only)", async () => {
    await replay([
      new UpCommand("staging", [resource("fleet", [B], "isolate")]),
      new DestroyCommand("staging"),
    ]);
  });

  it("switching from update to isolate gives the object back to the numbers that stay on it", async () => {
    await replay([
      new UpCommand("qa", [resource("fleet", [TEXML], "update")]),
      new UpCommand("qa", [resource("fleet", [TEXML, ON_SALES_QA2], "isolate")]),
    ]);
  });

  it("a destroy killed after giving back one object still deletes that object's backup when run again", async () => {
    await replay([
      new UpCommand("qa", [resource("web0", [TEXML], "isolate"), resource("fleet", [ON_SALES_QA], "update")]),
      new DestroyCommand("qa", { kind: "dies", after: 11 }),
      new DestroyCommand("staging"),
    ]);
  });

  it("two stacks writing one object with consent: each gives back only the fields that still hold its values", async () => {
    await replay([
      new UpCommand("qa", [
        resource("web0", [ON_SALES_QA2], "isolate"),
        resource("fleet", [TEXML], "update", { withFallback: true }),
      ]),
      new UpCommand("production", [resource("fleet", [ON_IVR_PROD], "update")]),
      new DestroyCommand("qa"),
      new RefreshCommand("staging"),
    ]);
  });

  it("a set member that starts managing its fallback records the original's, not null", async () => {
    await replay([
      new UpCommand("production", [
        resource("web0", [ON_IVR_PROD], "isolate"),
        resource("web1", [A], "isolate"),
        resource("fleet", [ON_SALES], "isolate"),
      ]),
      new UpCommand("production", [resource("fleet", [ON_SALES], "isolate", { withFallback: true })]),
      new DestroyCommand("staging"),
    ]);
  });

  it("a set's create killed after its copy was made: the next up re-uses the copy from the journal", async () => {
    await replay([
      new UpCommand("qa", [resource("fleet", [TEXML], "isolate")], { kind: "dies", after: 11 }),
      new DestroyCommand("staging"),
    ]);
  });

  it("one member's undo never deletes the copy another member is moving onto (a race: tried five times)", async () => {
    for (let i = 0; i < 5; i++)
      await replay([
        new UpCommand("staging", [resource("fleet", [ON_IVR, CROSS], "isolate", { withFallback: true })], {
          kind: "write-fails",
          after: 2,
        }),
        new UpCommand("production", [resource("fleet", [ON_IVR_PROD], "isolate", { withFallback: true })]),
        new UpCommand("staging", [], { kind: "write-fails", after: 3 }),
      ]);
  });

  it("an isolation a failed run undid (left in the journal) does not stop destroy giving the object back", async () => {
    await replay([
      new UpCommand("production", [
        resource("web0", [ON_SALES], "update"),
        resource("web1", [ON_IVR_PROD], "isolate"),
        resource("fleet", [A], "isolate"),
      ]),
      new UpCommand(
        "production",
        [
          resource("web0", [ON_SALES], "isolate"),
          resource("web1", [ON_IVR_PROD], "isolate"),
          resource("fleet", [A], "isolate"),
        ],
        { kind: "write-fails", after: 1 },
      ),
    ]);
  });

  it("a member whose leave failed keeps what it declared: its next leave gives the object back", async () => {
    await replay([
      new UpCommand("staging", [resource("fleet", [CROSS], "update")]),
      new UpCommand("staging", [resource("fleet", [B], "update", { withPassword: true })], {
        kind: "write-fails",
        after: 0,
      }),
      new RefreshCommand("staging"),
    ]);
  });

  it("an isolated number whose URL another resource already wrote on its shared object still gets its own copy", async () => {
    await replay([
      new UpCommand("staging", [
        resource("web0", [CROSS], "update", { version: 1, withPassword: true }),
        resource("web1", [B], "refuse"),
        resource("fleet", [ON_IVR], "isolate"),
      ]),
      new UpCommand("staging", [
        resource("web0", [ON_IVR], "isolate", { version: 1, withPassword: true }),
        resource("web1", [B], "isolate"),
      ]),
    ]);
  });

  it("a member whose switch from update to isolate failed keeps its onShared: the next up gives the objects back", async () => {
    await replay([
      new UpCommand("staging", [
        resource("web0", [B], "isolate"),
        resource("fleet", [ON_IVR, CROSS], "update"),
      ]),
      new UpCommand("staging", [resource("fleet", [ON_IVR], "isolate")], { kind: "write-fails", after: 3 }),
      new UpCommand("staging", [
        resource("web0", [B], "isolate"),
        resource("web1", [CROSS], "isolate"),
        resource("fleet", [ON_IVR], "isolate"),
      ]),
    ]);
  });

  it("a member leaving an object the set wrote with consent gives it back when the staying members isolate", async () => {
    await replay([
      new UpCommand("staging", [resource("fleet", [B, ON_IVR, CROSS], "update")], {
        kind: "write-fails",
        after: 0,
      }),
      new UpCommand("staging", [resource("fleet", [B, CROSS], "isolate", { version: 1 })]),
    ]);
  });

  it("a member's undo never moves it back onto a group copy another member deleted meanwhile (a race: tried 25 times)", async () => {
    for (let i = 0; i < 25; i++)
      await replay([
        new UpCommand("qa", [resource("fleet", [TEXML, ON_SALES_QA, ON_SALES_QA2], "isolate")]),
        new DestroyCommand("qa", { kind: "write-fails", after: 4 }),
        new RefreshCommand("staging"),
      ]);
  });

  it("a console edit of a number's own copy is written back by the next up (which refreshes first)", async () => {
    await replay([
      new UpCommand("staging", [resource("web0", [B], "isolate", { version: 1, withPassword: true })]),
      new ConsoleEditCommand("staging", 0),
      new UpCommand("staging", [resource("web0", [B], "isolate", { version: 1, withPassword: true })]),
    ]);
  });

  it("a number replaced by one whose object already holds its URL (consent): the old one's destroy leaves it", async () => {
    await replay([
      new UpCommand("staging", [resource("web0", [ON_IVR], "update")]),
      new UpCommand("staging", [resource("web0", [CROSS], "update")], { kind: "dies", after: 1 }),
      new RefreshCommand("staging"),
    ]);
  });

  it("a backup deleted earlier in a run does not stop the run making a new one for a later consent write", async () => {
    await replay([
      new UpCommand("staging", [resource("web0", [ON_IVR], "update")]),
      new UpCommand("staging", [resource("web0", [CROSS], "update", { deleteBeforeReplace: true })], {
        kind: "dies",
        after: 1,
      }),
      new RefreshCommand("staging"),
      new UpCommand("production", [resource("fleet", [ON_IVR_PROD], "isolate")], { kind: "dies", after: 8 }),
    ]);
  });

  it("a member on its group's copy that starts managing a field records the original's value, not the copy's", async () => {
    await replay([
      new UpCommand("qa", [resource("fleet", [TEXML], "isolate")]),
      new UpCommand(
        "qa",
        [resource("fleet", [TEXML, ON_SALES_QA, ON_SALES_QA2], "isolate", { withFallback: true })],
        {
          kind: "dies",
          after: 16,
        },
      ),
      new DestroyCommand("staging"),
    ]);
  });

  it("a copy made by an update that died is known to the refresh before the next up: destroy deletes it", async () => {
    // The refresh used to forget the journal entry naming the copy; the next up then took the
    // number's copy for its own object, and destroy left the copy behind.
    for (const journalPerStack of [false, true])
      await replay(
        [
          new UpCommand("qa", [resource("fleet", [TEXML], "update")]),
          new UpCommand("qa", [resource("fleet", [TEXML, ON_SALES_QA, ON_SALES_QA2], "isolate")], {
            kind: "dies",
            after: 24,
          }),
          new DestroyCommand("staging"),
        ],
        { journalPerStack },
      );
  });

  it("a number on the copy kept for it records what the copy holds as its previous webhooks, not nothing", async () => {
    // The copy was made in the same run (by a destroy that could not give the original back): it
    // had never been read, and its "webhooks before this run" came out empty.
    await replay([
      new UpCommand("staging", [resource("web0", [CROSS], "isolate"), resource("web1", [ON_IVR], "update")]),
      new UpCommand("staging", [resource("web0", [B], "isolate")], { kind: "write-fails", after: 2 }),
      new UpCommand("staging", [
        resource("web0", [B], "isolate"),
        resource("web1", [ON_IVR], "isolate"),
        resource("fleet", [CROSS], "isolate"),
      ]),
      new UpCommand("staging", []),
    ]);
  });

  it("a number whose join to a set failed, declared on its own in the next up: the set's leave does not take it back", async () => {
    await replay([
      new UpCommand("staging", [resource("fleet", [B], "isolate")], { kind: "write-fails", after: 0 }),
      new UpCommand("staging", [resource("web0", [B], "isolate")]),
    ]);
  });

  it("a copy a dying destroy moved the number off stays recorded: switching to update, then destroy, deletes it", async () => {
    await replay([
      new UpCommand("staging", [resource("fleet", [ON_IVR], "isolate")], { kind: "dies", after: 1 }),
      new DestroyCommand("staging", { kind: "dies", after: 12 }),
      new UpCommand("staging", [resource("fleet", [ON_IVR], "update")]),
      new DestroyCommand("staging"),
    ]);
  });

  it("a refusing resource does not lean on URLs another resource wrote with consent: its up is refused", async () => {
    // The new web0 (+…204, refuse) found its URLs already on sales-app (the old web0 wrote them
    // there with consent); it wrote nothing, then the old web0's delete gave the object back.
    await replay([
      new UpCommand(
        "qa",
        [resource("web0", [ON_SALES_QA2], "update"), resource("web1", [TEXML], "isolate")],
        { kind: "write-fails", after: 2 },
      ),
      new UpCommand("qa", [resource("web0", [ON_SALES_QA], "refuse")]),
    ]);
  });
});

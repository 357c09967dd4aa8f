// Wrapper module that pins the Pulumi CLI sources so scripts/ensure-pulumi.sh
// can build them from the Go module proxy when no release binary can be had.
module pulumi-phone-webhooks/scripts/pulumi-cli

go 1.25.11

// Copied in spirit from pkg/v3's own go.mod: replace directives of a
// dependency are ignored, so the main module has to repeat this one.
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e

tool github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

require (
	github.com/pulumi/pulumi/pkg/v3 v3.248.0
	github.com/pulumi/pulumi/sdk/v3 v3.248.0
)

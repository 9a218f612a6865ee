// Package examples ships the example domain specs under domains/, embedded so
// that the demo works from any directory.
package examples

import "embed"

// Domains holds domains/*.yaml.
//
//go:embed domains/*.yaml
var Domains embed.FS

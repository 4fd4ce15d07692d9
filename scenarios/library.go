package scenarios

import "embed"

// Library holds the scenario files of this directory (*.yaml), so that `poolkit replay`
// replays them without a checkout.
//
//go:embed *.yaml
var Library embed.FS

package main

import (
	"context"
	"io"

	"github.com/mpsdconf/mpsdconf/runner"
)

// cmdTolerance runs the tolerance matrix: the documented profile against every emulator
// variant (each a behaviour the contract allows) must pass; the strict profile's result is
// reported.
func cmdTolerance(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cfg runner.ToleranceConfig
	var variants multiFlag
	fs := matrixFlags("tolerance", "tolerance.json, tolerance.md", &cfg.MatrixConfig)
	fs.Var(&variants, "variant", "run only this variant (repeatable; default: every variant)")
	if code, ok := parseMatrixFlags(fs, args, &cfg.MatrixConfig, stderr); !ok {
		return code
	}
	cfg.Variants = variants
	return runner.Tolerance(ctx, cfg, stdout)
}

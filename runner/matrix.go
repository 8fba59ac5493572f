package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// MatrixConfig is what the self-test (faults) and the tolerance matrix (variants) share: each
// runs the suite once per switch of the emulator, in separate processes.
type MatrixConfig struct {
	// Binary is the mpsdconf executable that runs each suite (one Ginkgo suite per process).
	Binary string
	// ReportDir receives the matrix's report and one sub-folder of reports per run.
	ReportDir string
	// Parallel is how many runs go at once (default 2).
	Parallel int
	// Seed orders the specs of every run alike (default 1).
	Seed int64
}

// prepare fills in the defaults and empties ReportDir/name, the folder of the runs' reports,
// which it returns.
func (c *MatrixConfig) prepare(name string) (string, error) {
	if c.Parallel < 1 {
		c.Parallel = 2
	}
	if c.ReportDir == "" {
		c.ReportDir = "reports"
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	runsDir := filepath.Join(c.ReportDir, name)
	if err := os.RemoveAll(runsDir); err != nil {
		return "", fmt.Errorf("empty %s: %w", runsDir, err)
	}
	return runsDir, nil
}

// each calls run(i) for every i below n, at most c.Parallel at once, and waits for all.
func (c *MatrixConfig) each(n int, run func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, c.Parallel)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			run(i)
		}()
	}
	wg.Wait()
}

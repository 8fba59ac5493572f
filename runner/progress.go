package runner

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/report"
)

// progressInterval is how often a progress line is printed while specs run.
const progressInterval = 5 * time.Second

// progress prints "specs done/total, failures so far" while a run goes. In a worker process it
// instead sends one line per finished spec to the parent through a pipe.
type progress struct {
	mu       sync.Mutex
	out      io.Writer
	pipe     *os.File
	total    int
	done     int
	failed   int
	harness  int
	lastLine time.Time
	now      func() time.Time
}

// newProgress prints to out the progress of total specs.
func newProgress(out io.Writer, total int) *progress {
	return &progress{out: out, total: total, now: time.Now, lastLine: time.Now()}
}

// newWorkerProgress reports to the parent process through the worker's progress pipe.
func newWorkerProgress(w *workerSpec) *progress {
	return &progress{pipe: os.NewFile(uintptr(w.ProgressFD), "progress"), now: time.Now}
}

// specDone counts a finished spec (suite nodes and skipped specs are not counted).
func (p *progress) specDone(sr types.SpecReport) {
	if !sr.LeafNodeType.Is(types.NodeTypeIt) || sr.State.Is(types.SpecStateSkipped|types.SpecStatePending) {
		return
	}
	class, _ := report.Classify(sr)
	if p.pipe != nil {
		_, _ = fmt.Fprintln(p.pipe, class)
		return
	}
	p.count(class)
}

// count adds one finished spec of the given outcome and prints a line when one is due.
func (p *progress) count(class string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	switch class {
	case report.OutcomeFailed:
		p.failed++
	case report.OutcomeHarnessError:
		p.harness++
	}
	if now := p.now(); now.Sub(p.lastLine) >= progressInterval {
		p.lastLine = now
		p.printLocked()
	}
}

// finish prints the final line (not from a worker).
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pipe == nil && p.done > 0 {
		p.printLocked()
	}
}

func (p *progress) printLocked() {
	fmt.Fprintf(p.out, "mpsdconf: progress %d/%d specs done, %d failed, %d harness errors\n", p.done, p.total, p.failed, p.harness)
}

func (p *progress) close() {
	if p.pipe != nil {
		_ = p.pipe.Close()
	}
}

// Package bench holds the library code of the whole-run performance measurements printed by
// `make bench` (the mpsdconf-bench command, its only user): medians, figures with their targets, a recording
// middleware and a bare replayer for the suite's HTTP traffic, a closed-loop HTTP load
// generator, and the process measurements (wall time, peak resident memory) of the mpsdconf
// binary.
//
// Nothing here asserts a speed: figures are printed with their targets and a met/missed
// verdict, and only an error (a run that fails, a replay that cannot be sent) is fatal.
//
// It serves the emulator it measures with emulator.NewServer, like mpsdconf run and emulate,
// and so sits above the emulator package (which is why it is not under internal/, the
// lowest layer). bench.go holds the figures, medians and the machine description;
// measure.go the Measurer, with the measurements in replay_ratio.go, speed.go and memory.go;
// load.go the load generator; record.go the recorder and replayer; proc.go the process
// measurements.
package bench

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Median returns the median of xs (the mean of the two middle values for an even count),
// or NaN for no values. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// MedianDuration returns the median of ds (0 for none).
func MedianDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(math.Round(Median(xs)))
}

// Comparison is how a figure is held against its target.
type Comparison string

// Comparisons a Target can use; None means the figure is informational.
const (
	None     Comparison = ""
	AtMost   Comparison = "<="
	AtLeast  Comparison = ">="
	LessThan Comparison = "<"
	MoreThan Comparison = ">"
)

// Verdicts of a Figure.
const (
	noTarget  = "no target"
	targetMet = "target met"
	missed    = "TARGET MISSED"
)

// Target is the bound a figure should respect.
type Target struct {
	// Cmp is how the value is compared with Limit (None: no target).
	Cmp Comparison
	// Limit is the bound.
	Limit float64
}

// Met reports whether v respects the target; a figure without a target always does.
func (t Target) Met(v float64) bool {
	switch t.Cmp {
	case AtMost:
		return v <= t.Limit
	case AtLeast:
		return v >= t.Limit
	case LessThan:
		return v < t.Limit
	case MoreThan:
		return v > t.Limit
	default:
		return true
	}
}

// String renders the target, e.g. "<= 1.5 x".
func (t Target) String() string {
	if t.Cmp == None {
		return "-"
	}
	return fmt.Sprintf("%s %g", t.Cmp, t.Limit)
}

// Figure is one measured result of the run.
type Figure struct {
	// Name says what was measured.
	Name string
	// Value is the measured number, in Unit.
	Value float64
	// Unit is appended to the value ("x", "MB", "s"); may be empty.
	Unit string
	// Decimals is how many digits after the point are shown.
	Decimals int
	// Target is the bound the value should respect (Cmp None: informational).
	Target Target
	// Note says what the figure is made of (shown after the verdict).
	Note string
}

// Verdict is "target met", "TARGET MISSED" or "no target".
func (f Figure) Verdict() string {
	switch {
	case f.Target.Cmp == None:
		return noTarget
	case f.Target.Met(f.Value):
		return targetMet
	default:
		return missed
	}
}

// ValueString renders the value with its unit.
func (f Figure) ValueString() string {
	s := fmt.Sprintf("%.*f", f.Decimals, f.Value)
	if f.Unit != "" {
		s += " " + f.Unit
	}
	return s
}

// TargetString renders the target with the figure's unit.
func (f Figure) TargetString() string {
	if f.Target.Cmp == None {
		return "-"
	}
	s := f.Target.String()
	if f.Unit != "" {
		s += " " + f.Unit
	}
	return s
}

// Line renders the figure on one line: "name: value (target T): verdict".
func (f Figure) Line() string {
	if f.Target.Cmp == None {
		return fmt.Sprintf("%s: %s", f.Name, f.ValueString())
	}
	return fmt.Sprintf("%s: %s (target %s): %s", f.Name, f.ValueString(), f.TargetString(), f.Verdict())
}

// Machine describes where the figures were measured.
type Machine struct {
	// CPU is the processor model.
	CPU string
	// Cores is the number of logical CPUs.
	Cores int
	// GoVersion is the Go release the program was built with.
	GoVersion string
	// OS names the operating system, its architecture and kernel.
	OS string
}

// String renders the machine on one line.
func (m Machine) String() string {
	return fmt.Sprintf("%s, %d cores, %s, %s", m.CPU, m.Cores, m.GoVersion, m.OS)
}

// DescribeMachine reads the CPU model from /proc/cpuinfo and the OS from /etc/os-release and
// the kernel release; whatever cannot be read is "unknown".
func DescribeMachine() Machine {
	m := Machine{CPU: "unknown CPU", Cores: runtime.NumCPU(), GoVersion: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		if model, ok := cpuModel(f); ok {
			m.CPU = model
		}
		f.Close()
	}
	osName := runtime.GOOS + "/" + runtime.GOARCH
	if f, err := os.Open("/etc/os-release"); err == nil {
		if name, ok := osRelease(f); ok {
			osName = name + " (" + runtime.GOOS + "/" + runtime.GOARCH + ")"
		}
		f.Close()
	}
	if kernel, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		osName += ", kernel " + strings.TrimSpace(string(kernel))
	}
	m.OS = osName
	return m
}

// cpuModel returns the first "model name" of a /proc/cpuinfo listing.
func cpuModel(r io.Reader) (string, bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value), true
		}
	}
	return "", false
}

// osRelease returns PRETTY_NAME of an os-release file.
func osRelease(r io.Reader) (string, bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`), true
		}
	}
	return "", false
}

// WriteSummary prints the machine and every figure as a Markdown-style table.
func WriteSummary(w io.Writer, m Machine, figs []Figure) error {
	var b strings.Builder
	fmt.Fprintf(&b, "machine: %s\n\n", m)
	rows := [][]string{{"figure", "value", "target", "verdict"}}
	for _, f := range figs {
		rows = append(rows, []string{f.Name, f.ValueString(), f.TargetString(), f.Verdict()})
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for n, r := range rows {
		b.WriteString("|")
		for i, c := range r {
			fmt.Fprintf(&b, " %s%s |", c, strings.Repeat(" ", widths[i]-len([]rune(c))))
		}
		b.WriteString("\n")
		if n == 0 {
			b.WriteString("|")
			for _, wd := range widths {
				b.WriteString(strings.Repeat("-", wd+2) + "|")
			}
			b.WriteString("\n")
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

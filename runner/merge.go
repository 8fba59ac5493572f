package runner

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/report"
)

// MergeOptions says which shard reports `mpsdconf merge` joins and where the result goes.
type MergeOptions struct {
	// ReportDir receives the merged reports.
	ReportDir string
	// Shards, when not 0, is the number of shards the run was spread over: then every shard
	// 1..Shards must be there exactly once, all run with the same seed and label filter, and
	// together hold every spec of the tree.
	Shards int
	// Dirs are the shards' report directories, each with report.GinkgoFile and
	// report.JSONFile, or folders that hold such directories one level down.
	Dirs []string
	// Expectations is the target's expectations file, applied to the merged run as to one run;
	// FailOnUnexpectedPass as for mpsdconf run.
	Expectations         string
	FailOnUnexpectedPass bool
}

// shardReport is one shard's reports as a merge reads them.
type shardReport struct {
	dir   string
	meta  report.Metadata
	clean report.Cleanup
	rep   types.Report
	shard config.Shard // zero when the run was not sharded
	// refusals are the shard's refused credentials: the merged run is a harness error too.
	refusals []identity.Refusal
}

// name is how messages name the shard report: "shard 2/4 (DIR)", or the folder.
func (s shardReport) name() string {
	if s.shard.Count == 0 {
		return s.dir
	}
	return fmt.Sprintf("shard %s (%s)", s.shard, s.dir)
}

// Merge joins the reports of the shards of a run (--shard K/N) into the run's full set of
// reports in opts.ReportDir, with the same merge as the processes of a --procs run: each spec
// once. Its summary has the verdict and counts of a single run with the same seed; its metadata
// is the first shard's, with the requests of all shards summed. The error says why the shards
// cannot be merged (none found, unreadable, a spec in two shards, and with opts.Shards a
// missing or repeated shard, different seeds or lost specs); nothing is written then.
func Merge(opts MergeOptions, stderr io.Writer) (report.Summary, error) {
	shards, err := readShardReports(opts)
	if err != nil {
		return report.Summary{}, err
	}
	problems, warnings := checkShardSet(shards, opts.Shards)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "mpsdconf merge: warning: %s\n", w)
	}
	rep, more := mergeShardReports(shards, opts.Shards)
	if problems = append(problems, more...); len(problems) > 0 {
		return report.Summary{}, fmt.Errorf("cannot merge the shard reports:\n  %s", strings.Join(problems, "\n  "))
	}
	meta := mergedMetadata(shards)
	fmt.Fprintf(stderr, "mpsdconf merge: %d shard reports of run %s (seed %d): %s\n", len(shards), meta.RunID, meta.RandomSeed, meta.Shard)
	r := config.Resolved{Config: config.Config{ReportDir: opts.ReportDir, Expectations: opts.Expectations, FailOnUnexpectedPass: opts.FailOnUnexpectedPass}}
	if _, err := loadExpectations(r, false); err != nil {
		return report.Summary{}, err
	}
	var refusals []identity.Refusal
	for _, sh := range shards {
		refusals = append(refusals, sh.refusals...)
	}
	return finishRun(r, meta, rep, mergedCleanup(shards), refusals, stderr)
}

// readShardReports finds and reads the shard reports in opts.Dirs: a folder with
// report.GinkgoFile is one; otherwise each of its sub-folders that has one is (the merge's own
// report directory excepted). Shards come sorted by shard number, then folder.
func readShardReports(opts MergeOptions) ([]shardReport, error) {
	out, _ := filepath.Abs(opts.ReportDir)
	var dirs []string
	for _, dir := range opts.Dirs {
		if fileExists(filepath.Join(dir, report.GinkgoFile)) {
			dirs = append(dirs, dir)
			continue
		}
		subs, err := filepath.Glob(filepath.Join(dir, "*", report.GinkgoFile))
		if err != nil {
			return nil, err
		}
		found := 0
		for _, f := range subs {
			if sub := filepath.Dir(f); !sameDir(sub, out) {
				dirs = append(dirs, sub)
				found++
			}
		}
		if found == 0 {
			return nil, fmt.Errorf("%s: no %s in it or in any folder in it: not the report directory of a run", dir, report.GinkgoFile)
		}
	}
	shards := make([]shardReport, 0, len(dirs))
	for _, dir := range dirs {
		s, err := readShardReport(dir)
		if err != nil {
			return nil, err
		}
		shards = append(shards, s)
	}
	sort.SliceStable(shards, func(i, j int) bool { return shards[i].shard.Index < shards[j].shard.Index })
	return shards, nil
}

// readShardReport reads one run's Ginkgo report and report.json.
func readShardReport(dir string) (shardReport, error) {
	s := shardReport{dir: dir}
	rep, err := report.ReadGinkgoReport(filepath.Join(dir, report.GinkgoFile))
	if err != nil {
		return s, err
	}
	summary, err := report.ReadSummary(filepath.Join(dir, report.JSONFile))
	if err != nil {
		return s, fmt.Errorf("%s: %w", dir, err)
	}
	s.rep, s.meta, s.clean, s.refusals = rep, summary.Metadata, summary.Cleanup, summary.CredentialProblems
	if s.meta.Shard != "" {
		if s.shard, err = config.ParseShard(s.meta.Shard, nil); err != nil {
			s.shard = config.Shard{} // a merged report, say: not one shard
		}
	}
	return s, nil
}

// checkShardSet checks that the reports are the shards of one run: with n, shards 1..n once
// each, with the same seed and label filter (problems); without, different seeds are only
// warnings.
func checkShardSet(shards []shardReport, n int) (problems, warnings []string) {
	if seeds := differing(shards, func(s shardReport) string { return fmt.Sprint(s.meta.RandomSeed) }); seeds != "" {
		msg := "the shards ran with different seeds: " + seeds
		if n == 0 {
			warnings = append(warnings, msg)
		} else {
			problems = append(problems, msg)
		}
	}
	if n == 0 {
		return problems, warnings
	}
	if filters := differing(shards, func(s shardReport) string { return fmt.Sprintf("%q", s.meta.LabelFilter) }); filters != "" {
		problems = append(problems, "the shards ran with different label filters (profile and --label-filter): "+filters)
	}
	byIndex := map[int][]string{}
	for _, s := range shards {
		if s.shard.Count != n {
			problems = append(problems, fmt.Sprintf("%s is not one of %d shards (it ran with --shard %q)", s.dir, n, s.meta.Shard))
			continue
		}
		byIndex[s.shard.Index] = append(byIndex[s.shard.Index], s.dir)
	}
	for k := 1; k <= n; k++ {
		switch dirs := byIndex[k]; {
		case len(dirs) == 0:
			problems = append(problems, fmt.Sprintf("shard %d/%d is missing", k, n))
		case len(dirs) > 1:
			problems = append(problems, fmt.Sprintf("shard %d/%d is there %d times: %s", k, n, len(dirs), strings.Join(dirs, ", ")))
		}
	}
	return problems, warnings
}

// differing lists "name: value" for every shard when they do not all have the same value.
func differing(shards []shardReport, value func(shardReport) string) string {
	var parts []string
	same := true
	for _, s := range shards {
		same = same && value(s) == value(shards[0])
		parts = append(parts, s.name()+": "+value(s))
	}
	if same {
		return ""
	}
	return strings.Join(parts, ", ")
}

// mergeShardReports joins the shards' Ginkgo reports, each spec once; a spec in two shards,
// a spec in a shard it does not belong to, and (with n) specs of the tree that no shard
// reports are problems.
func mergeShardReports(shards []shardReport, n int) (types.Report, []string) {
	m := newSpecMerger(true)
	var problems []string
	for _, s := range shards {
		if p := misplacedSpecs(s); p != "" {
			problems = append(problems, p)
		}
		m.add(s.name(), s.rep)
	}
	rep := m.report()
	problems = append(problems, m.conflicts()...)
	if n > 0 && len(problems) == 0 {
		problems = append(problems, lostSpecs(shards, rep)...)
	}
	return rep, problems
}

// misplacedSpecs says which specs of a shard's report belong to another shard, if any.
func misplacedSpecs(s shardReport) string {
	var wrong []string
	for _, sr := range s.rep.SpecReports {
		if s.shard.Count > 0 && sr.LeafNodeType.Is(types.NodeTypeIt) && !isForeignSkip(sr) && !s.shard.Contains(sr.FullText()) {
			wrong = append(wrong, fmt.Sprintf("%q (shard %d/%d)", sr.FullText(), config.ShardOf(sr.FullText(), s.shard.Count), s.shard.Count))
		}
	}
	switch len(wrong) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("the report of %s has a spec of another shard: %s", s.name(), wrong[0])
	default:
		return fmt.Sprintf("the report of %s has %d specs of other shards, e.g. %s", s.name(), len(wrong), wrong[0])
	}
}

// lostSpecs compares the merged specs with the size of the spec tree the shards ran (which
// Ginkgo records): fewer means some shard lost specs.
func lostSpecs(shards []shardReport, merged types.Report) []string {
	if tree := differing(shards, func(s shardReport) string { return fmt.Sprint(s.rep.PreRunStats.TotalSpecs) }); tree != "" {
		return []string{"the shards ran different spec trees (different harness versions?); specs in each tree: " + tree}
	}
	specs := 0
	for _, sr := range merged.SpecReports {
		if sr.LeafNodeType.Is(types.NodeTypeIt) {
			specs++
		}
	}
	switch total := shards[0].rep.PreRunStats.TotalSpecs; {
	case specs < total:
		return []string{fmt.Sprintf("%d of the %d specs of the shards' spec tree are in no shard's report (lost)", total-specs, total)}
	case specs > total:
		return []string{fmt.Sprintf("the shards' reports hold %d specs, more than the %d of their spec tree", specs, total)}
	}
	return nil
}

// mergedMetadata is the first shard's metadata with the requests and processes of all, the
// time from the first start to the last end, and the shards noted.
func mergedMetadata(shards []shardReport) report.Metadata {
	meta := shards[0].meta
	meta.Requests, meta.Procs = report.RequestStats{}, 0
	end := meta.StartedAt
	var names []string
	for _, s := range shards {
		meta.Requests = meta.Requests.Add(s.meta.Requests)
		meta.Procs += s.meta.Procs
		if s.meta.StartedAt.Before(meta.StartedAt) {
			meta.StartedAt = s.meta.StartedAt
		}
		if e := s.meta.StartedAt.Add(time.Duration(s.meta.DurationSeconds * float64(time.Second))); e.After(end) {
			end = e
		}
		names = append(names, orDir(s.meta.Shard, s.dir))
	}
	meta.Duration = end.Sub(meta.StartedAt)
	meta.Shard = fmt.Sprintf("merged %d shards: %s", len(shards), strings.Join(names, ", "))
	return meta
}

// mergedCleanup adds up what the shards left on their targets.
func mergedCleanup(shards []shardReport) report.Cleanup {
	var c report.Cleanup
	var journals, errs []string
	for _, s := range shards {
		c.Pending += s.clean.Pending
		if s.clean.EmulatorLeftovers != nil {
			n := *s.clean.EmulatorLeftovers
			if c.EmulatorLeftovers != nil {
				n += *c.EmulatorLeftovers
			}
			c.EmulatorLeftovers = &n
		}
		if s.clean.Journal != "" {
			journals = append(journals, s.clean.Journal)
		}
		if s.clean.Error != "" {
			errs = append(errs, s.name()+": "+s.clean.Error)
		}
	}
	c.Journal, c.Error = strings.Join(journals, ", "), strings.Join(errs, "; ")
	return c
}

func orDir(shard, dir string) string {
	if shard == "" {
		return dir
	}
	return shard
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil || !errors.Is(err, os.ErrNotExist)
}

// sameDir reports whether dir is the folder abs (an absolute path).
func sameDir(dir, abs string) bool {
	d, err := filepath.Abs(dir)
	return err == nil && d == abs
}

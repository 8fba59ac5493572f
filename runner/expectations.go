package runner

import (
	"strings"

	"github.com/mpsdconf/mpsdconf/catalog"
	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/expectations"
	"github.com/mpsdconf/mpsdconf/suites"
)

// loadExpectations reads the run's expectations file (an empty File when none is set) and
// checks that every entry names a catalog rule and, with checkSpecs, a spec of the suites; any
// problem is a configuration error. Spec names can be checked only once the spec tree is built
// (Ginkgo builds it when the specs run), so a run checks the file's form and rules before it
// starts and its spec names when it ends.
//
// ran are full names of specs known to exist besides the registered ones (the specs of the
// report being judged): a merge of shard reports has them, and no spec tree.
func loadExpectations(r config.Resolved, checkSpecs bool, ran ...string) (expectations.File, error) {
	if r.Expectations == "" {
		return expectations.File{}, nil
	}
	f, err := expectations.Load(r.Expectations)
	if err != nil {
		return f, config.Errorf("expectations (--expectations): %w", err)
	}
	cat := catalog.Default()
	known := func(id string) bool { _, ok := cat.Rule(id); return ok }
	specs := append(specNamesOf(f), ran...)
	if !checkSpecs {
		specs = nil
		for _, e := range f.Expectations {
			specs = append(specs, e.Spec)
		}
	}
	if err := f.Check(known, specs); err != nil {
		return f, config.Errorf("expectations (--expectations) %s: %w", r.Expectations, err)
	}
	return f, nil
}

// specNamesOf returns the spec names of f's entries that name a spec of the suites: a report
// shows a spec by its containers' texts and its own sentence, so a name is known when it is, or
// ends with, a registered spec sentence.
func specNamesOf(f expectations.File) []string {
	var leaves []string
	for _, texts := range suites.SpecsByRule() {
		leaves = append(leaves, texts...)
	}
	var known []string
	for _, e := range f.Expectations {
		for _, leaf := range leaves {
			if e.Spec == leaf || strings.HasSuffix(e.Spec, " "+leaf) {
				known = append(known, e.Spec)
				break
			}
		}
	}
	return known
}

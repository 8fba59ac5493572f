package runner

import (
	"context"
	"io"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/emulator"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/internal/journal"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
	"github.com/mpsdconf/mpsdconf/report"
	"github.com/mpsdconf/mpsdconf/schemas"
	"github.com/mpsdconf/mpsdconf/suites"
)

// preparedTarget is the target of a run (or of one worker) and the identities to call it with.
type preparedTarget struct {
	url   string
	creds *config.Credentials
	ids   *identity.Store
	emu   *emulator.Emulator // the embedded emulator, if this process serves it
	stop  func()
}

// prepareTarget starts the embedded emulator when needed and builds the identities of the
// process's identity set (a worker starts them from the credentials its parent fetched).
func prepareTarget(rc runConfig, warn func(string)) (preparedTarget, error) {
	tgt := preparedTarget{url: rc.Target, stop: func() {}}
	key := ""
	if rc.Embedded {
		srv, k, err := startEmbedded(rc.Resolved)
		if err != nil {
			return tgt, err
		}
		tgt.url, tgt.emu, tgt.stop, key = srv.URL, srv.Emulator, srv.Close, k
	}
	creds, err := rc.Credentials(key, warn)
	if err != nil {
		tgt.stop()
		return preparedTarget{stop: func() {}}, err
	}
	var lookup func(string) (string, bool)
	if rc.worker != nil {
		lookup = func(name string) (string, bool) { v, ok := rc.worker.Secrets[name]; return v, ok }
	}
	ids, err := creds.Store(rc.set, lookup)
	if err != nil {
		tgt.stop()
		return preparedTarget{stop: func() {}}, err
	}
	if rc.worker != nil {
		ids.Seed(rc.worker.Credentials)
	}
	tgt.creds, tgt.ids = creds, ids
	return tgt, nil
}

// startEmbedded serves the embedded emulator of run r (its world, faults and variants) on a
// free loopback port, signing tokens with a new key, which it returns.
func startEmbedded(r config.Resolved) (*emulator.Server, string, error) {
	key, err := emulator.NewKey()
	if err != nil {
		return nil, "", err
	}
	ecfg := emulator.ConfigFromEnvironment(r.TestWorld, []byte(key))
	ecfg.Faults = r.Faults
	ecfg.Variants = r.Variants
	srv, err := emulator.NewServer(ecfg, "")
	return srv, key, err
}

// session is one process's share of a run once its target is prepared: the client, the run's
// metadata and its cleanup journal.
type session struct {
	client      *mpsdclient.Client
	meta        report.Metadata
	journalPath string
	journal     *journal.Journal
}

// startSession connects to the prepared target and configures the suites: it builds the
// client, compiles the schemas, opens the run's cleanup journal (a worker shares its parent's
// run ID and journal) and, against a target of the user's (not the embedded emulator, and not
// in a worker, whose parent did it for every worker), runs the preflight.
func startSession(ctx context.Context, rc *runConfig, tgt preparedTarget, stderr io.Writer) (*session, error) {
	client, err := rc.NewClient(tgt.url, tgt.creds.Redactor())
	if err != nil {
		return nil, err
	}
	compiled := make(chan error, 1)
	go func() { compiled <- schemas.Compile() }() // while the preflight requests wait for their answers
	s := &session{client: client, meta: newMetadata(rc.Resolved, client.Redactor().String(tgt.url))}
	s.journalPath = journalFile(rc.ReportDir, s.meta.RunID)
	process := 0
	if rc.worker != nil {
		s.meta.RunID, s.journalPath, process = rc.worker.RunID, rc.worker.JournalFile, rc.worker.Index+1
	}
	preflight := !rc.Embedded && rc.worker == nil
	checked := []*checkedSet{{set: rc.set, ids: tgt.ids}}
	if preflight {
		if err := checkCredentials(ctx, client, checked); err != nil {
			return nil, err
		}
	}
	if s.journal, err = openJournal(s.journalPath); err != nil {
		return nil, err
	}
	if preflight {
		if err := checkSessions(ctx, client, checked, rc.TestWorld, s.meta.RunID, s.journal, stderr); err != nil {
			_ = s.journal.Close()
			return nil, abandonJournal(err, s.journalPath, s.meta.RunID)
		}
		rc.set = checked[0].set
	}
	if err := <-compiled; err != nil {
		_ = s.journal.Close()
		return nil, err
	}
	e := &suites.Env{Client: client, Identities: tgt.ids, World: rc.set.World, RunID: s.meta.RunID,
		Journal: s.journal, Process: process}
	if rc.SpecShard.Count > 0 {
		e.InShard = rc.SpecShard.Contains
	}
	if rc.worker != nil {
		e.Claim = newClaimClient(rc.worker).claim
	}
	if err := suites.Configure(e); err != nil {
		_ = s.journal.Close()
		return nil, config.NewError(err)
	}
	return s, nil
}

// requestStats converts the client's counters for the reports.
func requestStats(s mpsdclient.Stats) report.RequestStats {
	return report.RequestStats{Requests: s.Requests, Retries: s.Retries, Throttled: s.Throttled, RetryWaitSeconds: s.RetryWait.Seconds()}
}

package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

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
	url  string
	ids  *identity.Store
	emu  *emulator.Emulator // the embedded emulator, if this process serves it
	stop func()
}

// prepareTarget starts the embedded emulator when needed and builds the identities.
func prepareTarget(r config.Resolved) (preparedTarget, error) {
	if !r.Embedded {
		ids, err := r.TargetIdentities(r.TestWorld)
		return preparedTarget{url: r.Target, ids: ids, stop: func() {}}, err
	}
	srv, key, err := startEmbedded(r)
	if err != nil {
		return preparedTarget{stop: func() {}}, err
	}
	ids, err := identity.Mint(r.TestWorld, []byte(key), time.Now())
	if err != nil {
		srv.Close()
		return preparedTarget{stop: func() {}}, err
	}
	return preparedTarget{url: srv.URL, ids: ids, emu: srv.Emulator, stop: srv.Close}, nil
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
// client, checks that the target answers, compiles the schemas, and opens the run's cleanup
// journal (a worker shares its parent's run ID and journal).
func startSession(ctx context.Context, rc runConfig, tgt preparedTarget) (*session, error) {
	client, err := rc.NewClient(tgt.url, tgt.ids)
	if err != nil {
		return nil, err
	}
	compiled := make(chan error, 1)
	go func() { compiled <- schemas.Compile() }() // while the preflight request waits for its answer
	if err := preflight(ctx, client, tgt.ids); err != nil {
		return nil, err
	}
	if err := <-compiled; err != nil {
		return nil, err
	}
	s := &session{client: client, meta: newMetadata(rc.Resolved, client.Redactor().String(tgt.url))}
	s.journalPath = journalFile(rc.ReportDir, s.meta.RunID)
	process := 0
	if rc.worker != nil {
		s.meta.RunID, s.journalPath, process = rc.worker.RunID, rc.worker.JournalFile, rc.worker.Index+1
	}
	if s.journal, err = openJournal(s.journalPath); err != nil {
		return nil, err
	}
	e := &suites.Env{Client: client, Identities: tgt.ids, World: rc.TestWorld, RunID: s.meta.RunID,
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

// preflight checks that the target answers HTTP at all, so an unreachable target is reported
// once as a harness error instead of as a failure of every spec.
func preflight(ctx context.Context, client *mpsdclient.Client, ids *identity.Store) error {
	user, err := ids.Get("user1")
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = client.Do(pctx, http.MethodGet, "/handles/00000000-0000-0000-0000-000000000000",
		mpsdclient.WithAuthorization(user.Authorization()))
	if err != nil {
		if errors.Is(err, mpsdclient.ErrTransport) {
			return fmt.Errorf("target %s is unreachable: %v", client.BaseURL(), client.Redactor().String(err.Error()))
		}
		return err
	}
	return nil
}

// requestStats converts the client's counters for the reports.
func requestStats(s mpsdclient.Stats) report.RequestStats {
	return report.RequestStats{Requests: s.Requests, Retries: s.Retries, Throttled: s.Throttled, RetryWaitSeconds: s.RetryWait.Seconds()}
}

package runner

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/catalog"
	"github.com/mpsdconf/mpsdconf/internal/outcome"
)

// Spec hand-out in a multi-process run: every worker runs the same spec tree in the same order
// (the run's seed), and before each spec asks the parent for it over a pair of pipes: the
// spec's full text, Go-quoted, on one line. The first worker to ask gets the spec and runs it;
// the others skip it as claimed (outcome.ClaimSkipMessage), and the parent drops those skips
// when it merges the workers' reports. So the workers share out the specs one by one as they
// become free, and no large rule holds up the run. The answer is one line, "1 K" (yours) or
// "0 K" (another worker's), followed by K lines: the specs other workers claimed since the
// last answer, Go-quoted, which the worker then skips without asking.

// claims is the parent's record of which worker runs which spec.
type claims struct {
	mu    sync.Mutex
	owner map[string]int // spec full text -> worker index
	log   []string       // the specs in the order they were claimed
}

func newClaims() *claims { return &claims{owner: map[string]int{}} }

// claim gives spec to worker unless another worker asked first; it reports whether worker
// runs it (asking again, as a retried spec does, is answered the same), and the specs other
// workers claimed from *seen on, moving *seen to the end of the log.
func (c *claims) claim(spec string, worker int, seen *int) (bool, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	owner, taken := c.owner[spec]
	if !taken {
		owner = worker
		c.owner[spec] = worker
		c.log = append(c.log, spec)
	}
	var news []string
	for _, s := range c.log[*seen:] {
		if c.owner[s] != worker {
			news = append(news, s)
		}
	}
	*seen = len(c.log)
	return owner == worker, news
}

// owners returns which worker claimed each spec, by full text.
func (c *claims) owners() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.owner)
}

// lostClaims returns, as harness errors and by name, the specs that a worker claimed but left
// no result for (it ended before it reported them): owners says who claimed what, rules gives
// each spec's rule.
func lostClaims(merged types.Report, owners map[string]int, rules map[string]string) []types.SpecReport {
	have := map[string]bool{}
	for _, sr := range merged.SpecReports {
		have[sr.FullText()] = true
	}
	var names []string
	for name := range owners {
		if !have[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	lost := make([]types.SpecReport, 0, len(names))
	for _, name := range names {
		sr := types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: name, State: types.SpecStateFailed,
			Failure: types.Failure{Message: fmt.Sprintf("%sworker %d claimed this spec but ended without a result for it", outcome.HarnessErrorPrefix, owners[name]+1)}}
		if rule, ok := catalog.Default().Rule(rules[name]); ok {
			sr.LeafNodeLabels = rule.Labels()
		}
		lost = append(lost, sr)
	}
	return lost
}

// serve answers the claims of one worker until it closes its end (or answers cannot be sent).
func (c *claims) serve(worker int, requests io.Reader, answers io.Writer) {
	in := bufio.NewReader(requests)
	out := bufio.NewWriter(answers)
	seen := 0
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			return
		}
		spec, err := strconv.Unquote(strings.TrimSpace(line))
		if err != nil {
			_, _ = out.WriteString("?\n")
		} else {
			mine, news := c.claim(spec, worker, &seen)
			answer := "0"
			if mine {
				answer = "1"
			}
			fmt.Fprintf(out, "%s %d\n", answer, len(news))
			for _, s := range news {
				_, _ = out.WriteString(strconv.Quote(s) + "\n")
			}
		}
		if err := out.Flush(); err != nil {
			return
		}
	}
}

// claimClient is a worker's side of the hand-out: it asks the parent for each spec it does not
// already know another worker has.
type claimClient struct {
	mu    sync.Mutex
	out   io.Writer
	in    *bufio.Reader
	taken map[string]bool // specs other workers claimed, as the parent said
}

// newClaimClient talks to the parent over the worker's claim pipes (workerSpec.ClaimFD and
// AnswerFD).
func newClaimClient(w *workerSpec) *claimClient {
	return &claimClient{
		out:   os.NewFile(uintptr(w.ClaimFD), "claims"),
		in:    bufio.NewReader(os.NewFile(uintptr(w.AnswerFD), "claim answers")),
		taken: map[string]bool{},
	}
}

// claim asks the parent for spec: true when this worker runs it. The error says why no answer
// came (the parent is gone).
func (c *claimClient) claim(spec string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.taken[spec] {
		return false, nil
	}
	if _, err := io.WriteString(c.out, strconv.Quote(spec)+"\n"); err != nil {
		return false, fmt.Errorf("parent process unreachable: %w", err)
	}
	var answer string
	var news int
	line, err := c.in.ReadString('\n')
	if err == nil {
		if _, scanErr := fmt.Sscanf(line, "%s %d", &answer, &news); scanErr != nil || (answer != "0" && answer != "1") {
			return false, fmt.Errorf("the parent process did not understand the claim (answer %q)", strings.TrimSpace(line))
		}
	}
	for ; err == nil && news > 0; news-- {
		if line, err = c.in.ReadString('\n'); err == nil {
			if name, qErr := strconv.Unquote(strings.TrimSpace(line)); qErr == nil {
				c.taken[name] = true
			}
		}
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("the parent process closed the claim pipe")
		}
		return false, fmt.Errorf("no answer from the parent process: %w", err)
	}
	return answer == "1", nil
}

// workerPipes are the pipes between the parent and one worker: progress and claims from the
// worker, answers to it. The child's ends become its file descriptors 3, 4 and 5 (ExtraFiles).
type workerPipes struct {
	progress, claims *os.File // the parent's read ends
	answers          *os.File // the parent's write end
	child            []*os.File
}

// Descriptors of the worker's pipes in the worker process (see workerPipes).
const (
	progressFD = 3
	claimFD    = 4
	answerFD   = 5
)

// openWorkerPipes makes a worker's pipes; on error, none is left open.
func openWorkerPipes() (*workerPipes, error) {
	var ends [6]*os.File
	for i := 0; i < 3; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			for _, f := range ends[:2*i] {
				f.Close()
			}
			return nil, err
		}
		ends[2*i], ends[2*i+1] = r, w
	}
	return &workerPipes{
		progress: ends[0], claims: ends[2], answers: ends[5],
		child: []*os.File{ends[1], ends[3], ends[4]}, // fds 3 (progress), 4 (claims), 5 (answers)
	}, nil
}

// closeChildEnds closes the parent's copies of the child's ends, once the child has them.
func (p *workerPipes) closeChildEnds() {
	for _, f := range p.child {
		_ = f.Close()
	}
}

// close closes the parent's ends.
func (p *workerPipes) close() {
	_ = p.progress.Close()
	_ = p.claims.Close()
	_ = p.answers.Close()
}

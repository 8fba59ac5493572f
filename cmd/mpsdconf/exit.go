package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/report"
)

// exitCode is the one place that turns the outcome of a command that judges a target into
// the process's exit code (see usage): 2 for an error (a configuration error, or a harness
// error: the target could not be checked), else the code its verdict means (report.ExitCode:
// 0 pass, 1 conformance failure, 2 harness error).
func exitCode(verdict string, err error) int {
	if err != nil {
		return report.ExitHarness
	}
	return report.ExitCode(verdict)
}

// finish prints err, if any, as the command's final error after prefix ("mpsdconf",
// "mpsdconf sweep", "selftest") and returns the exit code of the outcome.
func finish(w io.Writer, prefix, verdict string, err error) int {
	if err != nil {
		fmt.Fprintf(w, "%s: %s\n", prefix, describe(err))
	}
	return exitCode(verdict, err)
}

// describe renders err for the user, naming a configuration error (*config.Error) as such
// right before its own message, wherever it was wrapped: "configuration error: procs: ...",
// "worker 2: configuration error: ...".
func describe(err error) string {
	msg := err.Error()
	var cfgErr *config.Error
	if !errors.As(err, &cfgErr) {
		return msg
	}
	const kind = "configuration error: "
	if inner := cfgErr.Error(); strings.HasSuffix(msg, inner) {
		return msg[:len(msg)-len(inner)] + kind + inner
	}
	return kind + msg
}

package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/report"
)

func TestExitCodeMapsVerdictsAndErrors(t *testing.T) {
	cases := []struct {
		verdict string
		err     error
		want    int
	}{
		{report.VerdictPass, nil, 0},
		{report.VerdictFail, nil, 1},
		{report.VerdictHarness, nil, 2},
		{"", nil, 2},
		{report.VerdictPass, errors.New("target unreachable"), 2},
		{report.VerdictFail, config.Errorf("procs: 99"), 2},
	}
	for _, tc := range cases {
		if got := exitCode(tc.verdict, tc.err); got != tc.want {
			t.Errorf("exitCode(%q, %v) = %d, want %d", tc.verdict, tc.err, got, tc.want)
		}
	}
}

func TestDescribeNamesConfigurationErrors(t *testing.T) {
	cases := map[string]struct {
		err  error
		want string
	}{
		"plain":            {errors.New("target x is unreachable"), "target x is unreachable"},
		"configuration":    {config.Errorf("procs: 99 is too many"), "configuration error: procs: 99 is too many"},
		"wrapped":          {fmt.Errorf("worker 2: %w", config.Errorf("procs: 99")), "worker 2: configuration error: procs: 99"},
		"context inside":   {config.Errorf("process 2: %w", errors.New("no authorization")), "configuration error: process 2: no authorization"},
		"trailing context": {fmt.Errorf("%w (while starting)", config.Errorf("bad")), "configuration error: bad (while starting)"},
		"wrapped cause":    {config.NewError(fmt.Errorf("config file: %w", errors.New("missing"))), "configuration error: config file: missing"},
	}
	for name, tc := range cases {
		if got := describe(tc.err); got != tc.want {
			t.Errorf("%s: describe = %q, want %q", name, got, tc.want)
		}
	}
}

package service

import (
	"testing"
	"time"
)

func TestReasonFromStatus(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	tests := []struct {
		status string
		expire int64
		want   EndReason
	}{
		{"active", 2_000_000, ""},
		{"pending", 0, ""},
		{"active", 999_999, EndedExpired}, // active on paper, past its expiry
		{"expired", 0, EndedExpired},
		{"abandoned", 0, EndedExpired},
		{"revoked", 0, EndedElsewhere},
		{"ended", 0, EndedElsewhere},
		{"removed", 0, EndedElsewhere},
		{"replaced", 0, EndedElsewhere},
	}
	for _, tc := range tests {
		if got := reasonFromStatus(tc.status, tc.expire, now); got != tc.want {
			t.Errorf("reasonFromStatus(%q, %d) = %q, want %q", tc.status, tc.expire, got, tc.want)
		}
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{"sess_2bXk1uQjz0": true, "": false, "../client": false, "sess_1/tokens": false, "sess 1": false} {
		if validID(id) != want {
			t.Errorf("validID(%q) = %v", id, !want)
		}
	}
}

package cli

import (
	"strings"
	"testing"
)

func TestSample(t *testing.T) {
	long := strings.Repeat("a", 79) + "é" + "tail" // é straddles byte 80
	if got, want := sample(long), strings.Repeat("a", 79)+"…"; got != want {
		t.Errorf("sample = %q, want %q", got, want)
	}
	if got, want := sample("x\x1b[2J\n\xff"), `x\x1b[2J\n\xff`; got != want {
		t.Errorf("sample = %q, want %q", got, want)
	}
}

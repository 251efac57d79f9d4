// Package judge decides what a hook does with a detector's finding: it
// resolves the mode in force (RASP_MODE, the policy, its per-rule modes,
// the kill switch), lets the policy's allowlists through, refuses the call
// in block mode (a *callsite.BlockedError), and records the finding as an
// event and in the metrics (JudgeCall, JudgeValue, JudgePath). It also
// holds the policy in force and its reloading, and the banner.
package judge

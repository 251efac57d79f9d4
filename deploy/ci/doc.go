// Package ci holds no code: its directory keeps the pipeline templates
// users copy (a GitHub Actions workflow, a GitLab CI job and a Dockerfile)
// that build a program with -toolexec=rasp-instrument and gate it, and its
// test checks them: the workflow against actionlint, the GitLab job's
// structure, the Dockerfile's stages, every rasp-instrument command line
// against the real tool's help, and the Go release they name against the
// repository's go.mod.
package ci

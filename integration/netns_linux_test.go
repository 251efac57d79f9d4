package integration

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The scripts of testdata/netns run in a network namespace of their own,
// laid out as a cluster's pod sees its network: the name server of
// /etc/resolv.conf on a private address (10.96.0.10, Kubernetes' usual
// cluster DNS), answering for a public name and an internal one, and a
// public web server (203.0.113.10, a documentation address) that only this
// namespace has. Nothing leaves the namespace.
const (
	nsNameServer = "10.96.0.10"
	nsPublicIP   = "203.0.113.10"
	nsInternalIP = "10.0.0.5"
)

// nsEnv is set in the environment of the test binary that runs inside the
// namespace.
const nsEnv = "RASP_TEST_IN_NETNS"

// TestNetworkNamespace runs this test binary again inside a new user,
// network and mount namespace (unshare from util-linux), where it lays out
// the network and runs the scripts of testdata/netns.
func TestNetworkNamespace(t *testing.T) {
	if os.Getenv(nsEnv) == "1" {
		runInNamespace(t)
		return
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("the network scripts need unshare (Debian's util-linux) and ip (iproute2): %v", err)
	}
	cmd := exec.Command(unshare, "--user", "--map-root-user", "--net", "--mount",
		os.Args[0], "-test.run=^TestNetworkNamespace$", "-test.v", "-test.timeout=30m")
	cmd.Env = append(os.Environ(), nsEnv+"=1", "RASP_TEST_GOCACHE="+goCache, "RASP_TEST_RASPCACHE="+raspDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("in the network namespace: %v\n%s\n(the test needs user and network namespaces: "+
			"unshare --user --map-root-user --net --mount must work)", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestNetworkNamespace/") {
		t.Fatalf("no script ran in the network namespace:\n%s", out)
	}
	t.Logf("%s", out)
}

func runInNamespace(t *testing.T) {
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"addr", "add", nsNameServer + "/32", "dev", "lo"},
		{"addr", "add", nsPublicIP + "/32", "dev", "lo"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(conf, []byte("nameserver "+nsNameServer+"\noptions timeout:2 attempts:2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount(conf, "/etc/resolv.conf", "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind-mounting a resolv.conf: %v", err)
	}
	pc, err := net.ListenPacket("udp", net.JoinHostPort(nsNameServer, "53"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() }) // the scripts run after testscript.Run returns
	go serveDNS(pc, map[string]string{"public.test.": nsPublicIP, "internal.test.": nsInternalIP})
	ln, err := net.Listen("tcp", net.JoinHostPort(nsPublicIP, "8080"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "the public page of %s\n", r.Host)
	}))
	testscript.Run(t, scriptParams("testdata/netns"))
}

// serveDNS answers A queries for the names of hosts (name with trailing
// dot -> IPv4 address) with one record, AAAA queries for them with none,
// and every other name with NXDOMAIN, until pc is closed.
func serveDNS(pc net.PacketConn, hosts map[string]string) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp, err := dnsAnswer(buf[:n], hosts); err == nil {
			pc.WriteTo(resp, from)
		}
	}
}

// dnsAnswer builds the response to one query (RFC 1035, section 4).
func dnsAnswer(q []byte, hosts map[string]string) ([]byte, error) {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil, errors.New("not a query with one question")
	}
	var name strings.Builder
	i := 12
	for {
		if i >= len(q) {
			return nil, errors.New("short question")
		}
		l := int(q[i])
		i++
		if l == 0 {
			break
		}
		if l > 63 || i+l > len(q) {
			return nil, errors.New("bad label")
		}
		name.WriteString(strings.ToLower(string(q[i : i+l])))
		name.WriteByte('.')
		i += l
	}
	if i+4 > len(q) {
		return nil, errors.New("short question")
	}
	qtype := binary.BigEndian.Uint16(q[i:])
	question := q[12 : i+4]
	ip, known := hosts[name.String()]
	resp := make([]byte, 12, 64)
	copy(resp, q[:2])                                  // ID
	flags := uint16(0x8180)                            // response, recursion desired and available
	binary.BigEndian.PutUint16(resp[2:], flags|0x0400) // authoritative
	binary.BigEndian.PutUint16(resp[4:], 1)
	if !known {
		resp[3] |= 3 // NXDOMAIN
	}
	resp = append(resp, question...)
	if known && qtype == 1 {
		binary.BigEndian.PutUint16(resp[6:], 1)
		a := net.ParseIP(ip).To4()
		resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4)
		resp = append(resp, a...)
	}
	return resp, nil
}

// Process groups, Pdeathsig and /proc, and Debian's packages: Linux only.

//go:build linux

package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// haCluster is what TestPatroniFailover runs Probity against: etcd members
// and two PostgreSQL nodes under Patroni (synchronous replication, one
// primary), every one on a loopback port of its own and a directory of its
// own, so that the machine's own PostgreSQL and any other test are left
// alone. Every process it starts is stopped when the test ends, failed or
// not.
type haCluster struct {
	dir        string
	patronictl string
	etcd       []int // client ports
	nodes      []*haNode
}

// haNode is one Patroni-managed PostgreSQL node.
type haNode struct {
	name            string
	pgPort, apiPort int
	config, dataDir string
	log             string
	cred            *syscall.Credential
}

// haEtcdMembers is how many etcd members the cluster has: three, as a
// deployment would, so that the DCS itself survives one member's loss.
const haEtcdMembers = 3

// haBinaries are the programs the cluster runs.
type haBinaries struct {
	patroni, patronictl, etcd string
	pgBin                     string // PostgreSQL's bin directory
}

// haTools finds the programs the cluster runs, skipping the test where one
// is missing (failing under CI, where scripts/patroni-tools installs them).
func haTools(t *testing.T) haBinaries {
	t.Helper()
	var b haBinaries
	var missing []string
	look := func(name string) string {
		p, err := exec.LookPath(name)
		if err != nil {
			missing = append(missing, name)
		}
		return p
	}
	b.patroni, b.patronictl, b.etcd = look("patroni"), look("patronictl"), look("etcd")
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(bins, func(i, j int) bool { return pgVersion(bins[i]) < pgVersion(bins[j]) })
	if len(bins) == 0 {
		missing = append(missing, "PostgreSQL's server binaries (/usr/lib/postgresql/N/bin)")
	} else {
		b.pgBin = filepath.Dir(bins[len(bins)-1])
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("%s not installed: scripts/patroni-tools installs them", strings.Join(missing, ", "))
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " (.ci/run runs it)")
		}
		t.Skip(msg)
	}
	return b
}

// pgVersion is N of /usr/lib/postgresql/N/bin/initdb.
func pgVersion(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// loopbackPorts returns n distinct loopback ports that were free a moment ago.
func loopbackPorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close() // held until all are chosen, so none is chosen twice
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// postgresCredential is who runs PostgreSQL: initdb refuses root, so a
// test run as root runs Patroni as the postgres system user; anyone else
// runs it as themselves.
func postgresCredential(t *testing.T) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("running as root, and there is no postgres user to run PostgreSQL as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// startHACluster starts the etcd members, then Patroni on pg0 (which
// bootstraps the primary), then on pg1 (which clones it), and waits until
// pg1 is pg0's synchronous standby.
func startHACluster(t *testing.T, ctx context.Context, bin haBinaries) *haCluster {
	t.Helper()
	cred := postgresCredential(t)
	dir, err := os.MkdirTemp("", "probity-patroni-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) }) // last: after every process is gone
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	ports := loopbackPorts(t, 2*haEtcdMembers+4)
	c := &haCluster{dir: dir, patronictl: bin.patronictl}
	var members []string
	for i := range haEtcdMembers {
		c.etcd = append(c.etcd, ports[2*i])
		members = append(members, fmt.Sprintf("e%d=http://127.0.0.1:%d", i, ports[2*i+1]))
	}
	for i := range haEtcdMembers {
		c.startEtcd(t, bin.etcd, i, ports[2*i+1], strings.Join(members, ","))
	}
	for i := range haEtcdMembers {
		waitHTTP(t, ctx, fmt.Sprintf("http://127.0.0.1:%d/health", c.etcd[i]), "etcd member "+strconv.Itoa(i), c.logs)
	}
	for i := range 2 {
		n := &haNode{name: "pg" + strconv.Itoa(i), pgPort: ports[2*haEtcdMembers+2*i], apiPort: ports[2*haEtcdMembers+2*i+1], cred: cred}
		n.config = filepath.Join(dir, n.name+".yml")
		n.dataDir = filepath.Join(dir, n.name)
		n.log = filepath.Join(dir, n.name+".log")
		writeFile(t, dir, n.name+".yml", c.patroniConfig(n, bin.pgBin))
		os.Chmod(n.config, 0o644)
		c.nodes = append(c.nodes, n)
		c.startPatroni(t, bin.patroni, n)
		role := "/primary"
		if i > 0 {
			role = "/sync" // a synchronous standby, so a failover to it loses nothing acknowledged
		}
		waitHTTP(t, ctx, fmt.Sprintf("http://127.0.0.1:%d%s", n.apiPort, role), "Patroni "+n.name+" as "+role[1:], c.logs)
	}
	return c
}

// startEtcd starts member i of the etcd cluster.
func (c *haCluster) startEtcd(t *testing.T, etcd string, i, peerPort int, members string) {
	t.Helper()
	client := fmt.Sprintf("http://127.0.0.1:%d", c.etcd[i])
	peer := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	cmd := exec.Command(etcd, "--name", "e"+strconv.Itoa(i), "--data-dir", filepath.Join(c.dir, "etcd"+strconv.Itoa(i)),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", members, "--initial-cluster-state", "new", "--initial-cluster-token", filepath.Base(c.dir))
	startProcessGroup(t, cmd, filepath.Join(c.dir, "etcd"+strconv.Itoa(i)+".log"), nil)
}

// patroniConfig is node n's Patroni configuration. Authentication is
// trust from loopback, for the test only.
func (c *haCluster) patroniConfig(n *haNode, pgBin string) string {
	var hosts []string
	for _, p := range c.etcd {
		hosts = append(hosts, fmt.Sprintf("127.0.0.1:%d", p))
	}
	return fmt.Sprintf(`scope: probity-test
namespace: /probity/
name: %[1]s
restapi:
  listen: 127.0.0.1:%[2]d
  connect_address: 127.0.0.1:%[2]d
etcd3:
  hosts: [%[3]s]
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        max_connections: 60
        shared_buffers: 32MB
        wal_level: replica
        wal_log_hints: "on"
        hot_standby: "on"
        max_wal_senders: 5
        max_replication_slots: 5
  initdb: [{encoding: UTF8}, {locale: C}]
postgresql:
  listen: 127.0.0.1:%[4]d
  connect_address: 127.0.0.1:%[4]d
  data_dir: %[5]s
  bin_dir: %[6]s
  pgpass: %[7]s
  authentication:
    superuser: {username: postgres, password: postgres}
    replication: {username: replicator, password: replicator}
  parameters:
    unix_socket_directories: '%[8]s'
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication replicator 127.0.0.1/32 trust
`, n.name, n.apiPort, strings.Join(hosts, ", "), n.pgPort, n.dataDir, pgBin, filepath.Join(c.dir, n.name+".pgpass"), c.dir)
}

// startPatroni starts Patroni on node n. Patroni starts its postmaster in a
// session of its own (so that it outlives a Patroni crash), so beside
// stopping Patroni the cleanup kills what postmaster.pid names, if it is
// still this node's.
func (c *haCluster) startPatroni(t *testing.T, patroni string, n *haNode) {
	t.Helper()
	t.Cleanup(func() { killPostmaster(n.dataDir) }) // after Patroni's own stop
	cmd := exec.Command(patroni, n.config)
	cmd.Env = append(os.Environ(), "HOME="+c.dir, "LC_ALL=C.UTF-8")
	startProcessGroup(t, cmd, n.log, n.cred)
}

// killPostmaster stops the postmaster of dataDir, if it still runs:
// SIGQUIT (immediate shutdown, which takes its children along, each in a
// session of its own), then SIGKILL after five seconds.
func killPostmaster(dataDir string) {
	buf, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.SplitN(string(buf), "\n", 2)[0])
	if err != nil || pid <= 1 {
		return
	}
	ours := func() bool {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		return err == nil && bytes.Contains(cmdline, []byte(dataDir))
	}
	if !ours() {
		return
	}
	syscall.Kill(pid, syscall.SIGQUIT)
	for deadline := time.Now().Add(5 * time.Second); ours() && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	if ours() {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// startProcessGroup starts cmd in a process group of its own, its output
// in log, as cred if set; when the test ends the group is sent SIGTERM,
// then SIGKILL after ten seconds. Should the test binary die first, the
// process is sent SIGTERM by the kernel (Pdeathsig).
func startProcessGroup(t *testing.T, cmd *exec.Cmd, log string, cred *syscall.Credential) {
	t.Helper()
	out, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	// in the log's directory, the cluster's own: the test's working
	// directory (in the checkout) may be closed to the postgres user, whose
	// server then never starts (a clone in a mktemp -d directory is 0700)
	cmd.Dir = filepath.Dir(log)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM, Credential: cred}
	if err := cmd.Start(); err != nil {
		out.Close()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // stragglers of the group, too
		<-done
	})
}

// waitHTTP waits until url answers 200, failing the test (with the
// cluster's logs) when ctx ends first.
func waitHTTP(t *testing.T, ctx context.Context, url, what string, logs func(*testing.T)) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-ctx.Done():
			logs(t)
			t.Fatalf("%s: %s did not answer 200 in time", what, url)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// logs writes the tail of every log of the cluster into the test's output.
func (c *haCluster) logs(t *testing.T) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(c.dir, "*.log"))
	for _, p := range paths {
		buf, _ := os.ReadFile(p)
		if len(buf) > 4000 {
			buf = buf[len(buf)-4000:]
		}
		t.Logf("--- %s (tail)\n%s", filepath.Base(p), buf)
	}
}

// dsn is the multi-host URL of database name: a client tries the nodes in
// turn and keeps the one that takes writes.
func (c *haCluster) dsn(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d,127.0.0.1:%d/%s?sslmode=disable&target_session_attrs=read-write",
		c.nodes[0].pgPort, c.nodes[1].pgPort, name)
}

// createDatabase creates database name on the primary.
func (c *haCluster) createDatabase(t *testing.T, name string) {
	t.Helper()
	db, err := sql.Open("pgx", c.dsn("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
}

// failover runs patronictl failover to candidate, as an operator would,
// and returns its output.
func (c *haCluster) failover(t *testing.T, ctx context.Context, candidate string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, c.patronictl, "-c", c.nodes[0].config, "failover", "--candidate", candidate, "--force")
	cmd.Env = append(os.Environ(), "HOME="+c.dir, "LC_ALL=C.UTF-8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.logs(t)
		t.Fatalf("patronictl failover --candidate %s: %v\n%s", candidate, err, out)
	}
	return string(out)
}

package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// Serve is zoo's side of the protocol (`zoo bench --child`): it answers
// the requests read from r on w until quit or the end of r. Every
// libtorch call is made from the calling goroutine, which must be the
// one the CLI pins to the main thread.
func Serve(r io.Reader, w io.Writer) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	enc := json.NewEncoder(w)
	s := &server{}
	defer s.close()
	for sc.Scan() {
		var req Request
		var resp Response
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			resp = Response{Error: fmt.Sprintf("request %q: %v", truncate(sc.Text(), 200), err)}
		} else {
			resp = s.handle(req)
		}
		if err := enc.Encode(resp); err != nil {
			return err
		}
		if req.Cmd == "quit" {
			return nil
		}
	}
	return sc.Err()
}

type server struct {
	c *zooCase
}

func (s *server) close() {
	if s.c != nil {
		s.c.free()
		s.c = nil
	}
}

func (s *server) handle(req Request) (resp Response) {
	defer func() {
		if r := recover(); r != nil {
			resp = Response{Error: fmt.Sprintf("panic: %v", r)}
		}
	}()
	var err error
	switch req.Cmd {
	case "quit":
		return Response{OK: true}
	case "setup":
		resp, err = s.setup(req)
	case "gemm":
		resp.GFLOPs, err = GEMM(req.N, req.Reps)
	case "stats":
		resp, err = stats(s.c != nil)
	case "train", "infer", "check", "memory":
		if s.c == nil {
			return Response{Error: req.Cmd + " before setup"}
		}
		resp, err = s.run(req)
	default:
		err = fmt.Errorf("unknown command %q (want setup, train, infer, check, stats, gemm, memory, quit)", req.Cmd)
	}
	if err != nil {
		return Response{Error: err.Error()}
	}
	resp.OK = true
	return resp
}

func (s *server) setup(req Request) (Response, error) {
	if req.Spec == nil {
		return Response{}, fmt.Errorf("setup without a spec")
	}
	if s.c != nil {
		return Response{}, fmt.Errorf("setup twice: one case per child")
	}
	spec, err := req.Spec.Defaults(false)
	if err != nil {
		return Response{}, err
	}
	c, err := newZooCase(spec)
	if err != nil {
		return Response{}, err
	}
	s.c = c
	if req.Dir != "" {
		if err := c.export(req.Dir); err != nil {
			return Response{}, fmt.Errorf("export: %w", err)
		}
	}
	d := torch.Describe()
	info := &Info{Impl: "zoo", Version: d.LibtorchVersion, Threads: d.IntraOpThreads, BLASThreads: d.OpenBLASThreads}
	return Response{Model: &c.desc, Params: c.desc.Params, Info: info}, nil
}

func (s *server) run(req Request) (resp Response, err error) {
	c := s.c
	switch req.Cmd {
	case "train":
		resp.Seconds, resp.Items, resp.Loss, err = c.train(max(req.Steps, 1))
	case "infer":
		var secs float64
		secs, resp.Hyps, err = c.inferOnce(req.Hyps)
		resp.Seconds, resp.Items = []float64{secs}, []float64{c.desc.InferItems}
	case "check":
		var r CheckResult
		r, err = c.check()
		resp.Check = &r
	case "memory":
		var m MemoryResult
		m, err = c.memory(req.Updates, req.Samples)
		resp.Memory = &m
	}
	return resp, err
}

// stats reads this process's memory and, when counting, its live
// tensors (after letting the GC free what it can reach).
func stats(count bool) (Response, error) {
	var resp Response
	if count {
		n := LiveTensors()
		resp.Live = &n
	}
	rss, err := SelfRSS()
	if err != nil {
		return resp, err
	}
	resp.RSS = &rss
	return resp, nil
}

// LiveTensors counts gotch's tensors not yet freed. Finalizers delete
// from the map under a lock gotch does not export, so the GC is run and
// given time to finish them, and stays off while the map is read.
func LiveTensors() int {
	for range 3 {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	return len(ts.ExistingTensors)
}

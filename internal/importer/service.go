package importer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/settings"
)

// ErrInvalid means the file has errors; the report lists them and nothing
// was written.
var ErrInvalid = errors.New("the file has errors; nothing was imported")

// Service imports files into the store.
type Service struct {
	DB     *db.DB
	Limits Limits // zero: DefaultLimits
	// ChunkRows is how many rows one transaction of a commit writes: a file
	// that size or smaller commits all at once, a larger one in recorded
	// chunks. Zero: 8,192.
	ChunkRows int
	// LoadRows: on SQLite, an orders file of at least this many rows
	// committed into a store without orders (the initial load) is written
	// in one transaction, the secondary indexes of orders and order lines
	// built at its end, instead of in chunks; Import then validates the
	// file in the same pass. It holds the write lock for all of it: other
	// writers wait (docs/IMPORT.md, Speed). Zero: 65,536; negative: never.
	LoadRows int
	// MaxErrors is how many errors a report lists (all are counted). Zero: 500.
	MaxErrors int
	Now       func() time.Time
	// Dir keeps this instance's copies of uploaded files; "": a folder in
	// the system's temp folder. The database holds the files themselves.
	Dir string
	// Lease is how long a commit holds its job without renewing it; a job
	// left running past its lease was abandoned (the process died) and is
	// failed by FailStale or taken over by the next commit. 0: 2 minutes.
	Lease time.Duration

	// inChunk, when set, runs inside each chunk's transaction after its
	// rows are written: tests stop a commit there.
	inChunk func()
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) limits() Limits {
	if s.Limits == (Limits{}) {
		return DefaultLimits
	}
	return s.Limits
}

func (s *Service) loadRows() int {
	if s.LoadRows == 0 {
		return 65536
	}
	return s.LoadRows
}

// loads reports whether a commit of total rows of kind writes them in
// one transaction (see LoadRows): the store holds no orders yet.
func (s *Service) loads(ctx context.Context, kind Kind, total int64) (bool, error) {
	if s.DB.Dialect() != db.SQLite || kind != KindOrders || s.loadRows() < 0 || total < int64(s.loadRows()) {
		return false, nil
	}
	var has bool
	if err := s.DB.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM orders)").Scan(&has); err != nil {
		return false, fmt.Errorf("look for orders: %w", err)
	}
	return !has, nil
}

func (s *Service) chunkRows() int {
	if s.ChunkRows > 0 {
		return s.ChunkRows
	}
	return 8192
}

// Request is one file to import.
type Request struct {
	Kind     Kind
	Preset   string
	Mapping  string  // the name of a saved mapping, applied over the preset
	Columns  Mapping // a mapping given with the request; wins over a saved one
	Path     string  // the file on disk
	Filename string  // the name the user knows it by; Path's base when empty
}

// Report is what a validation or a commit found and did. Counts are what
// the commit writes (or, for a dry run, would write): rows already in the
// store are skipped, not counted again. Revenue is the total of the
// imported orders that were paid, in minor units.
type Report struct {
	JobID      int64      `json:"job_id"`
	Kind       Kind       `json:"kind"`
	Preset     string     `json:"preset"`
	Encoding   Encoding   `json:"encoding"`
	DryRun     bool       `json:"dry_run"`
	Rows       int64      `json:"rows"`
	Customers  int64      `json:"customers"`
	Orders     int64      `json:"orders"`
	Lines      int64      `json:"lines"`
	Revenue    int64      `json:"revenue"`
	Products   int64      `json:"products"`
	Stock      int64      `json:"stock"`
	Skipped    int64      `json:"skipped"`
	LastRow    int64      `json:"last_row"`
	ErrorCount int        `json:"error_count"`
	Errors     []RowError `json:"errors"`
}

// Progress is reported while a file is read: rows so far and, when a
// validation has counted them, of how many.
type Progress struct {
	Phase string // "validate" or "commit"
	Rows  int64
	Total int64
}

func (r Request) check() (Preset, error) {
	if !ValidKind(string(r.Kind)) {
		return Preset{}, apperr.Field("kind", "%q is not something to import; use orders, customers, products or stock", r.Kind)
	}
	if r.Preset == "" {
		r.Preset = "generic"
	}
	p, ok := LookupPreset(r.Preset)
	if !ok {
		return Preset{}, apperr.Field("preset", "%q is not a preset; use one of %v", r.Preset, PresetNames())
	}
	if p.Whitespace && r.Kind != KindOrders {
		return Preset{}, apperr.Field("preset", "the %s preset reads orders only", p.Name)
	}
	if r.Path == "" {
		return Preset{}, apperr.Field("file", "no file given")
	}
	return p, nil
}

// Validate reads the whole file and reports every error by line and column,
// and what a commit would write. Nothing is written but the job's record.
func (s *Service) Validate(ctx context.Context, req Request, progress func(Progress)) (Report, error) {
	p, err := req.check()
	if err != nil {
		return Report{}, err
	}
	if req.Preset == "" {
		req.Preset = "generic"
	}
	rep, err := s.pass(ctx, req, p, nil, nil, progress)
	if err != nil {
		return rep, err
	}
	rep.DryRun = true
	id, err := s.createJob(ctx, req, rep)
	if err != nil {
		return rep, err
	}
	rep.JobID = id
	return rep, nil
}

// Import validates the file and, when it has no errors, commits it. With
// errors it returns the report and ErrInvalid, having written nothing. A
// load (see LoadRows) does both in one pass (importLoad).
func (s *Service) Import(ctx context.Context, req Request, progress func(Progress)) (Report, error) {
	if load, err := s.importLoads(ctx, req); err != nil {
		return Report{}, err
	} else if load {
		return s.importLoad(ctx, req, progress)
	}
	rep, err := s.Validate(ctx, req, progress)
	if err != nil {
		return rep, err
	}
	if rep.ErrorCount > 0 {
		return rep, ErrInvalid
	}
	return s.Commit(ctx, rep.JobID, req, progress)
}

// Commit writes a validated file. Each chunk of rows commits in one
// transaction together with the job's last_row, so a commit that stops
// (cancelled, crashed) leaves the store exactly at a recorded chunk
// boundary; committing the job again finishes it, since rows already in
// the store are skipped.
func (s *Service) Commit(ctx context.Context, jobID int64, req Request, progress func(Progress)) (Report, error) {
	p, err := req.check()
	if err != nil {
		return Report{}, err
	}
	job, err := s.Job(ctx, jobID)
	if err != nil {
		return Report{}, err
	}
	now := s.now().UnixMilli()
	switch job.Status {
	case JobValidated, JobFailed:
	case JobRunning:
		var lease int64
		if err := s.DB.QueryRow(ctx, `SELECT lease_until FROM import_jobs WHERE id = $1`, jobID).Scan(&lease); err != nil {
			return job.Report, fmt.Errorf("import %d: %w", jobID, err)
		}
		if lease >= now {
			return job.Report, fmt.Errorf("import %d is being committed already: %w", jobID, apperr.ErrConflict)
		}
		// Its committer died: this commit takes it over and resumes.
	case JobDone:
		return job.Report, fmt.Errorf("import %d is done already: %w", jobID, apperr.ErrConflict)
	default:
		return job.Report, fmt.Errorf("import %d has errors; fix the file and validate it again: %w", jobID, ErrInvalid)
	}
	if sum, err := fileSHA256(req.Path); err != nil {
		return Report{}, err
	} else if sum != job.SHA256 {
		return Report{}, fmt.Errorf("import %d: %s is not the file that was validated; validate it again: %w", jobID, req.displayName(), ErrInvalid)
	}
	// Taking the job is one conditional UPDATE, so two commits of it (a
	// double click, two instances) cannot both run; a running job whose
	// lease ran out is taken over.
	lease := now + s.lease().Milliseconds()
	res, err := s.DB.Exec(ctx, `UPDATE import_jobs SET status = 'running', message = '', lease_until = $3, updated_at = $1
		WHERE id = $2 AND (status IN ('validated', 'failed') OR (status = 'running' AND lease_until < $1))`, now, jobID, lease)
	if err != nil {
		return Report{}, fmt.Errorf("start import %d: %w", jobID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return job.Report, fmt.Errorf("import %d is being committed already: %w", jobID, apperr.ErrConflict)
	}
	total := job.Report.Rows
	wrap := func(pr Progress) {
		if progress != nil {
			pr.Total = total
			progress(pr)
		}
	}
	loads, err := s.loads(ctx, req.Kind, total)
	if err != nil {
		return Report{}, err
	}
	var load loadRecord
	if loads {
		load = func(w *writer, tx *db.Tx, lastRow int64, c counts) error {
			if lastRow == 0 {
				return nil
			}
			return w.record(tx, jobID, lastRow, c)
		}
	}
	passCtx, stopRenewing := s.holdLease(ctx, jobID, lease)
	rep, err := s.pass(passCtx, req, p, &jobID, load, wrap)
	rep.JobID = jobID
	if cause := stopRenewing(); cause != nil {
		// The job is the other commit's now: its status is not ours to
		// write.
		return rep, cause
	}
	// The job's final state is written even when ctx was cancelled.
	bg := context.WithoutCancel(ctx)
	if err != nil {
		msg := err.Error()
		s.DB.Exec(bg, `UPDATE import_jobs SET status = 'failed', message = $1, lease_until = 0, updated_at = $2 WHERE id = $3 AND status = 'running'`,
			msg, s.now().UnixMilli(), jobID)
		if j, jerr := s.Job(bg, jobID); jerr == nil {
			rep.LastRow = j.Report.LastRow
		}
		return rep, err
	}
	if _, err := s.DB.Exec(bg, `UPDATE import_jobs SET status = 'done', lease_until = 0, updated_at = $1 WHERE id = $2`, s.now().UnixMilli(), jobID); err != nil {
		return rep, fmt.Errorf("finish import %d: %w", jobID, err)
	}
	j, err := s.Job(bg, jobID)
	if err != nil {
		return rep, err
	}
	// A resumed job's counts include what earlier attempts wrote.
	j.Report.Encoding = rep.Encoding
	j.Report.Errors = []RowError{}
	return j.Report, nil
}

// importLoads reports whether Import validates and writes req in one pass
// (importLoad): a load (see LoadRows) by the file's count of lines. A
// workbook's lines cannot be counted without reading it: it goes the
// usual way.
func (s *Service) importLoads(ctx context.Context, req Request) (bool, error) {
	if req.Kind != KindOrders || s.DB.Dialect() != db.SQLite || s.loadRows() < 0 {
		return false, nil
	}
	n, err := countLines(req.Path)
	if err != nil || n < int64(s.loadRows()) {
		return false, nil // the usual path reports a file it cannot read
	}
	return s.loads(ctx, req.Kind, n)
}

// countLines counts the line feeds of a text file; 0 for a zip (XLSX).
func countLines(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var n int64
	for first := true; ; first = false {
		k, err := f.Read(buf)
		if first && k >= 2 && buf[0] == 'P' && buf[1] == 'K' {
			return 0, nil
		}
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// errLoadInvalid ends a one-pass load whose file has errors: its
// transaction is rolled back and the file's errors reported.
var errLoadInvalid = errors.New("the file has errors")

// importLoad is Import of a load in one pass: the file is validated as it
// is written, in the one transaction of a load (see LoadRows), which
// records the job too. A file with errors is rolled back and gets an
// invalid job, as its validation would give it; a load that stops leaves
// no trace — no rows, no job.
func (s *Service) importLoad(ctx context.Context, req Request, progress func(Progress)) (Report, error) {
	p, err := req.check()
	if err != nil {
		return Report{}, err
	}
	type hashed struct {
		sum string
		err error
	}
	sums := make(chan hashed, 1)
	go func() {
		sum, err := fileSHA256(req.Path)
		sums <- hashed{sum, err}
	}()
	var jobID int64
	record := func(w *writer, tx *db.Tx, lastRow int64, c counts) error {
		h := <-sums
		sums <- h
		if h.err != nil {
			return h.err
		}
		planned := *w.rep
		planned.Customers, planned.Orders, planned.Lines, planned.Revenue = c.customers, c.orders, c.lines, c.revenue
		planned.Products, planned.Stock, planned.Skipped = c.products, c.stock, c.skipped
		planned.Errors = []RowError{}
		id, err := s.insertJob(ctx, tx, req, planned, h.sum, JobDone)
		if err != nil {
			return err
		}
		jobID = id
		if lastRow == 0 {
			return nil
		}
		return w.record(tx, id, lastRow, c)
	}
	rep, err := s.pass(ctx, req, p, nil, record, progress)
	if errors.Is(err, errLoadInvalid) || (err == nil && rep.ErrorCount > 0) {
		// Rolled back: the report is the validation's.
		rep.DryRun = true
		id, err := s.createJob(ctx, req, rep)
		if err != nil {
			return rep, err
		}
		rep.JobID = id
		return rep, ErrInvalid
	}
	if err != nil {
		return rep, err
	}
	j, err := s.Job(ctx, jobID)
	if err != nil {
		return rep, err
	}
	j.Report.Encoding = rep.Encoding
	j.Report.Errors = []RowError{}
	return j.Report, nil
}

// loadRecord, given to pass, makes the pass a load that validates the file
// as it writes it, recording the job at its end (importLoad).
type loadRecord func(w *writer, tx *db.Tx, lastRow int64, c counts) error

// pass reads the file once: validating only (job nil, load nil), writing
// the rows under the job, chunk by chunk or in one transaction (load set,
// as by Commit), or validating and writing them in one transaction (job
// nil, load set, as by importLoad).
func (s *Service) pass(ctx context.Context, req Request, p Preset, job *int64, load loadRecord, progress func(Progress)) (Report, error) {
	rep := Report{Kind: req.Kind, Preset: p.Name, Errors: []RowError{}}
	mapping, err := s.mappingFor(ctx, req)
	if err != nil {
		return rep, err
	}
	st, err := settings.Load(ctx, s.DB)
	if err != nil {
		return rep, err
	}
	rows, enc, err := Open(req.Path, p, s.limits())
	if err != nil {
		var re *RowError
		if errors.As(err, &re) {
			rep.Errors, rep.ErrorCount = append(rep.Errors, *re), 1
			return rep, nil
		}
		return rep, fmt.Errorf("open %s: %w", req.displayName(), err)
	}
	defer rows.Close()
	rep.Encoding = enc
	header, err := rows.Next()
	if errors.Is(err, io.EOF) {
		rep.Errors, rep.ErrorCount = append(rep.Errors, RowError{Line: 1, Message: "the file is empty"}), 1
		return rep, nil
	}
	var re *RowError
	if errors.As(err, &re) {
		rep.Errors, rep.ErrorCount = append(rep.Errors, *re), 1
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	lay, err := resolve(req.Kind, p, mapping, header)
	if errors.As(err, &re) {
		rep.Errors, rep.ErrorCount = append(rep.Errors, *re), 1
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	maxErr := s.MaxErrors
	if maxErr <= 0 {
		maxErr = 500
	}
	errs := &errorList{max: maxErr}
	phase := "validate"
	if job != nil || load != nil {
		phase = "commit"
	}
	w := &writer{s: s, ctx: ctx, job: job, p: p, st: st, rep: &rep, errs: errs, phase: phase, progress: progress, load: load,
		skus: map[string]skuRef{}, dryCustomers: map[string]bool{}, drySKUs: map[string]bool{}}
	if job == nil || load != nil {
		w.custs = map[string]int64{}
	}
	if load != nil {
		w.firstPaid = map[int64]int64{}
	}
	switch req.Kind {
	case KindOrders:
		r := newOrderReader(rows, lay, p, st, errs)
		if job != nil {
			r.seen = nil
		}
		err = w.orders(r)
	default:
		err = w.records(rows, lay, req.Kind)
	}
	rep.ErrorCount = errs.count
	rep.Errors = errs.list
	if rep.Errors == nil {
		rep.Errors = []RowError{}
	}
	return rep, err
}

func (r Request) displayName() string {
	if r.Filename != "" {
		return r.Filename
	}
	return filepath.Base(r.Path)
}

// Job statuses.
const (
	JobValidated = "validated"
	JobInvalid   = "invalid"
	JobRunning   = "running"
	JobDone      = "done"
	JobFailed    = "failed"
)

// Job is the record of one import.
type Job struct {
	ID        int64     `json:"id"`
	Status    string    `json:"status"`
	Filename  string    `json:"filename"`
	Mapping   string    `json:"mapping"`
	SHA256    string    `json:"sha256"`
	Message   string    `json:"message"`
	Actor     string    `json:"actor"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Report    Report    `json:"report"`
	// Planned is what the validation found the commit would write.
	Planned Planned `json:"planned"`
}

// Planned is a dry run's counts.
type Planned struct {
	Customers int64 `json:"customers"`
	Orders    int64 `json:"orders"`
	Lines     int64 `json:"lines"`
	Revenue   int64 `json:"revenue"`
	Products  int64 `json:"products"`
	Stock     int64 `json:"stock"`
	Skipped   int64 `json:"skipped"`
}

func (counts) of(r Report) Planned {
	return Planned{Customers: r.Customers, Orders: r.Orders, Lines: r.Lines, Revenue: r.Revenue, Products: r.Products, Stock: r.Stock, Skipped: r.Skipped}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (s *Service) createJob(ctx context.Context, req Request, rep Report) (int64, error) {
	sum, err := fileSHA256(req.Path)
	if err != nil {
		return 0, err
	}
	status := JobValidated
	if rep.ErrorCount > 0 {
		status = JobInvalid
	}
	var id int64
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		id, err = s.insertJob(ctx, tx, req, rep, sum, status)
		return err
	})
	return id, err
}

// insertJob records a validated file's job: what its validation found
// (rep) and the file's SHA-256.
func (s *Service) insertJob(ctx context.Context, tx *db.Tx, req Request, rep Report, sum, status string) (int64, error) {
	errsJSON, _ := json.Marshal(rep.Errors)
	planned, _ := json.Marshal(counts{}.of(rep))
	now := s.now().UnixMilli()
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO import_jobs (kind, preset, mapping, filename, file_sha256, status, total_rows, error_count,
		customers, orders, lines, revenue, products, stock, skipped, errors, planned, actor, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, 0, 0, 0, 0, 0, $9, $10, $11, $12, $12) RETURNING id`,
		string(req.Kind), rep.Preset, req.Mapping, req.displayName(), sum, status, rep.Rows, rep.ErrorCount,
		string(errsJSON), string(planned), audit.ActorFrom(ctx).Name, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record import job: %w", err)
	}
	return id, audit.Record(ctx, tx, "import.validate", "import_job", id, nil, map[string]any{
		"file": req.displayName(), "kind": req.Kind, "preset": rep.Preset, "rows": rep.Rows, "errors": rep.ErrorCount})
}

// Job returns the record of import id; its report holds what the commit
// has written so far (what validation found, before a commit starts).
func (s *Service) Job(ctx context.Context, id int64) (Job, error) {
	jobs, err := s.queryJobs(ctx, "WHERE id = $1", id)
	if err != nil {
		return Job{}, err
	}
	if len(jobs) == 0 {
		return Job{}, fmt.Errorf("import %d: %w", id, apperr.ErrNotFound)
	}
	return jobs[0], nil
}

// Jobs lists the latest imports, newest first.
func (s *Service) Jobs(ctx context.Context, limit int) ([]Job, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return s.queryJobs(ctx, "ORDER BY id DESC LIMIT $1", limit)
}

func (s *Service) queryJobs(ctx context.Context, rest string, args ...any) ([]Job, error) {
	rs, err := s.DB.Query(ctx, `SELECT id, kind, preset, mapping, filename, file_sha256, status, total_rows, last_row, error_count,
		customers, orders, lines, revenue, products, stock, skipped, errors, planned, message, actor, created_at, updated_at
		FROM import_jobs `+rest, args...)
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	defer rs.Close()
	var out []Job
	for rs.Next() {
		var j Job
		var kind, errsJSON, planned string
		var created, updated int64
		r := &j.Report
		if err := rs.Scan(&j.ID, &kind, &r.Preset, &j.Mapping, &j.Filename, &j.SHA256, &j.Status, &r.Rows, &r.LastRow, &r.ErrorCount,
			&r.Customers, &r.Orders, &r.Lines, &r.Revenue, &r.Products, &r.Stock, &r.Skipped, &errsJSON, &planned, &j.Message, &j.Actor,
			&created, &updated); err != nil {
			return nil, err
		}
		r.Kind, r.JobID = Kind(kind), j.ID
		if err := json.Unmarshal([]byte(errsJSON), &r.Errors); err != nil || r.Errors == nil {
			r.Errors = []RowError{}
		}
		json.Unmarshal([]byte(planned), &j.Planned)
		r.Encoding = ""
		j.CreatedAt, j.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
		out = append(out, j)
	}
	return out, rs.Err()
}

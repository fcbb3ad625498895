package web

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/storeops/storeops/internal/importer"
)

// maxUpload bounds an uploaded import file; larger ones go through the CLI.
const maxUpload = 200 << 20

type importsPage struct {
	Kinds    []string
	Presets  []string
	Mappings []importer.SavedMapping
	Jobs     []importer.Job
}

type importPage struct {
	Job     importer.Job
	Percent int64
	Live    bool // still running: the status block polls
}

// importer keeps uploaded files in the database (and a local copy), so the
// commit may run on any instance, whichever took the upload.
func (c *Console) importer() *importer.Service { return &importer.Service{DB: c.DB} }

func (c *Console) imports(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	s := c.importer()
	jobs, err := s.Jobs(r.Context(), 30)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	ms, err := s.Mappings(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	pg := importsPage{Kinds: []string{"orders", "customers", "products", "stock"}, Presets: importer.PresetNames(), Mappings: ms, Jobs: jobs}
	c.render(w, r, http.StatusOK, "imports", tr(v, "nav.imports"), "imports", pg)
}

// uploadImport stores the file and validates it (the dry run); the job page
// then shows every error by line and column, or what a commit would write.
func (c *Console) uploadImport(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		c.redirect(w, r, "/imports", "flash.error.import_no_file")
		return
	}
	defer r.MultipartForm.RemoveAll()
	f, hdr, err := r.FormFile("file")
	if err != nil {
		c.redirect(w, r, "/imports", "flash.error.import_no_file")
		return
	}
	defer f.Close()
	_, path, err := c.importer().StoreFile(r.Context(), f)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	req := importer.Request{Kind: importer.Kind(r.FormValue("kind")), Preset: r.FormValue("preset"),
		Mapping: r.FormValue("mapping"), Path: path, Filename: filepath.Base(hdr.Filename)}
	rep, err := c.importer().Validate(r.Context(), req, nil)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, "/imports/"+strconv.FormatInt(rep.JobID, 10), "")
}

func (c *Console) importJob(w http.ResponseWriter, r *http.Request) {
	v := viewerFrom(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		c.notFound(w, r)
		return
	}
	job, err := c.importer().Job(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	pg := importPage{Job: job, Live: job.Status == importer.JobRunning}
	if t := job.Report.Rows; t > 0 {
		pg.Percent = min(100, job.Report.LastRow*100/(t+1))
		if job.Status == importer.JobDone {
			pg.Percent = 100
		}
	}
	title := tr(v, "imports.job_title", job.ID)
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "import-status" {
		c.renderBlock(w, r, http.StatusOK, "import", "import_status", title, "imports", pg)
		return
	}
	c.render(w, r, http.StatusOK, "import", title, "imports", pg)
}

// commitImport starts the commit and returns at once; the job page follows
// its progress. The commit outlives the request, not the actor.
func (c *Console) commitImport(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		c.notFound(w, r)
		return
	}
	s := c.importer()
	job, err := s.Job(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if job.Status != importer.JobValidated && job.Status != importer.JobFailed {
		c.redirect(w, r, "/imports/"+r.PathValue("id"), "flash.error.import_not_committable")
		return
	}
	path, err := s.FetchFile(r.Context(), job.SHA256)
	if errors.Is(err, importer.ErrFileGone) {
		c.redirect(w, r, "/imports/"+r.PathValue("id"), "flash.error.import_file_gone")
		return
	}
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	req := importer.Request{Kind: job.Report.Kind, Preset: job.Report.Preset, Mapping: job.Mapping, Path: path, Filename: job.Filename}
	ctx := context.WithoutCancel(r.Context())
	go func() {
		_, err := s.Commit(ctx, id, req, nil)
		if err == nil {
			s.DropFile(ctx, job.SHA256) // done; a failed import keeps its file to be resumed
			return
		}
		if !errors.Is(err, importer.ErrInvalid) {
			c.log().Warn("console: import commit", "job", id, "err", err)
		}
	}()
	c.redirect(w, r, "/imports/"+r.PathValue("id"), "flash.import_started")
}

// saveImportMapping keeps a column mapping, written one "field = column"
// a line, under a name the upload form then offers.
func (c *Console) saveImportMapping(w http.ResponseWriter, r *http.Request) {
	cols := importer.Mapping{}
	for _, ln := range strings.Split(r.FormValue("columns"), "\n") {
		field, col, ok := strings.Cut(ln, "=")
		if field, col = strings.TrimSpace(field), strings.TrimSpace(col); ok && field != "" && col != "" {
			cols[field] = col
		}
	}
	_, err := c.importer().SaveMapping(r.Context(), importer.SavedMapping{Name: r.FormValue("name"),
		Kind: importer.Kind(r.FormValue("kind")), Preset: r.FormValue("preset"), Columns: cols})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.redirect(w, r, "/imports", "flash.import_mapping_saved")
}

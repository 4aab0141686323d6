/* The columnar wire walk of a Prometheus remote-write 1.0 request (after snappy).
 *
 * scan(data: bytes) -> None | (label_spans: list[bytes], counts: bytes, timestamps: bytes, values: bytes)
 *
 * For each TimeSeries: the raw bytes of its Label fields (tags included, as sent) and
 * its samples' timestamps and values as packed little-endian int64/float64 runs (no
 * Python object per sample). Returns None for anything but the encoding senders use
 * (gogo-protobuf: one-byte tags, fields in number order, a zero or empty field left
 * out): metadata, histograms, exemplars, unknown fields, other wire types, labels after
 * samples, truncations, over-long varints. The caller then decodes the request with the
 * general decoder, so errors and unusual-but-valid input keep one source.
 *
 * Must return exactly what remote_write_columns.scan_python returns for the same bytes
 * (tests/unit/http/test_remote_write_columns.py compares them).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* A varint of at most 10 bytes ending by `end`; -1 on failure. */
static int read_varint(const uint8_t *p, Py_ssize_t *pos, Py_ssize_t end, uint64_t *out) {
    uint64_t result = 0;
    int shift = 0;
    Py_ssize_t i = *pos;
    for (int k = 0; k < 10; k++) {
        if (i >= end) return -1;
        uint8_t b = p[i++];
        result |= (uint64_t)(b & 0x7F) << shift;
        if (b < 0x80) {
            if (k == 9 && b > 1) return -1; /* more than 64 bits */
            *pos = i;
            *out = result;
            return 0;
        }
        shift += 7;
    }
    return -1;
}

/* A length: below 2^28 (4 varint bytes), as the Python walk accepts. */
static int read_length(const uint8_t *p, Py_ssize_t *pos, Py_ssize_t end, Py_ssize_t *out) {
    uint64_t v;
    Py_ssize_t start = *pos;
    if (read_varint(p, pos, end, &v) < 0 || *pos - start > 4) return -1;
    *out = (Py_ssize_t)v;
    return 0;
}

typedef struct {
    char *data;
    Py_ssize_t len, cap;
} Buf;

static int buf_put(Buf *b, const void *src, Py_ssize_t n) {
    if (b->len + n > b->cap) {
        Py_ssize_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n) cap *= 2;
        char *grown = PyMem_Realloc(b->data, cap);
        if (!grown) return -1;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, src, n);
    b->len += n;
    return 0;
}

/* One Sample{double value = 1; int64 timestamp = 2}: 1 = unusual, -1 = no memory. */
static int sample(const uint8_t *p, Py_ssize_t a, Py_ssize_t b, Buf *ts, Buf *vs) {
    double value = 0.0;
    int64_t t = 0;
    if (a < b && p[a] == 0x09) {
        if (a + 9 > b) return 1;
        memcpy(&value, p + a + 1, 8); /* little-endian hosts only (checked at import) */
        a += 9;
    }
    if (a < b && p[a] == 0x10) {
        uint64_t v;
        a += 1;
        if (read_varint(p, &a, b, &v) < 0) return 1;
        t = (int64_t)v;
    }
    if (a != b) return 1;
    if (buf_put(ts, &t, 8) < 0 || buf_put(vs, &value, 8) < 0) return -1;
    return 0;
}

/* One Label{string name = 1; string value = 2}: shape only (UTF-8 is checked later). */
static int label_ok(const uint8_t *p, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t n;
    if (a < b && p[a] == 0x0A) {
        a += 1;
        if (read_length(p, &a, b, &n) < 0 || a + n > b) return 0;
        a += n;
    }
    if (a < b && p[a] == 0x12) {
        a += 1;
        if (read_length(p, &a, b, &n) < 0 || a + n > b) return 0;
        a += n;
    }
    return a == b;
}

static PyObject *scan(PyObject *self, PyObject *arg) {
    if (!PyBytes_Check(arg)) Py_RETURN_NONE;
    const uint8_t *p = (const uint8_t *)PyBytes_AS_STRING(arg);
    Py_ssize_t size = PyBytes_GET_SIZE(arg), top = 0;
    Buf counts = {0}, ts = {0}, vs = {0};
    PyObject *spans = PyList_New(0), *result = NULL;
    int unusual = 0;
    if (!spans) return NULL;
    while (top < size && !unusual) {
        Py_ssize_t n, end;
        if (p[top] != 0x0A) { unusual = 1; break; } /* only TimeSeries (field 1) */
        top += 1;
        if (read_length(p, &top, size, &n) < 0 || top + n > size) { unusual = 1; break; }
        end = top + n;
        Py_ssize_t pos = top, labels_from = top, labels_to = top;
        int64_t count = 0;
        int in_samples = 0;
        while (pos < end) {
            uint8_t tag = p[pos];
            Py_ssize_t a = pos + 1, len;
            if (read_length(p, &a, end, &len) < 0 || a + len > end) { unusual = 1; break; }
            if (tag == 0x0A && !in_samples) {
                if (!label_ok(p, a, a + len)) { unusual = 1; break; }
                labels_to = a + len;
            } else if (tag == 0x12) {
                int r = sample(p, a, a + len, &ts, &vs);
                if (r < 0) goto nomem;
                if (r > 0) { unusual = 1; break; }
                in_samples = 1;
                count++;
            } else { unusual = 1; break; } /* exemplars, histograms, anything else */
            pos = a + len;
        }
        if (unusual) break;
        PyObject *raw = PyBytes_FromStringAndSize((const char *)p + labels_from, labels_to - labels_from);
        if (!raw) goto nomem;
        int failed = PyList_Append(spans, raw);
        Py_DECREF(raw);
        if (failed < 0 || buf_put(&counts, &count, 8) < 0) goto nomem;
        top = end;
    }
    if (unusual) {
        result = Py_None;
        Py_INCREF(result);
    } else {
        result = Py_BuildValue("(Oy#y#y#)", spans, counts.data ? counts.data : "", counts.len,
                               ts.data ? ts.data : "", ts.len, vs.data ? vs.data : "", vs.len);
    }
nomem:
    if (!result && !PyErr_Occurred()) PyErr_NoMemory();
    Py_DECREF(spans);
    PyMem_Free(counts.data);
    PyMem_Free(ts.data);
    PyMem_Free(vs.data);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_O, "Columnar wire walk of a remote-write 1.0 request; None when unusual."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_rwscan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__rwscan(void) {
    const uint16_t one = 1;
    if (*(const uint8_t *)&one != 1) {
        PyErr_SetString(PyExc_ImportError, "_rwscan assumes a little-endian host");
        return NULL;
    }
    return PyModule_Create(&module);
}

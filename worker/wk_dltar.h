/*  wk_dltar - the dltar task: download a native build tar over http(s)
    into the internal depot, or accept the client's upload that is already
    there; then ask for the import's next step.

    params {"appName","buildName","tarKey"?,"url"?,"size"?,"upload"?}; the
    org is the claim's. Exactly one of "url" (download mode) and "upload":
    true (upload mode) is required. The tar lives in the store (EDGE_STORE)
    at "tarKey", which must be under builds/<org>/<appName>/; without it,
    at builds/<org>/<appName>/<buildName>.tar.

    Download mode: the tar is streamed (never held in memory) to a scratch
    file under the data directory, <data_dir>/dltar/<task name>.part, with
    the server's validators beside it in <task name>.meta, then put into
    the store at the tar's key, where the mkraw step reads it. Scratch
    files are removed once stored or when the download fails for good (an
    HTTP error answer, a size mismatch).

    Redirects are followed by hand, at most WK_DLTAR_MAX_REDIRECTS hops; the
    URL guard checks every hop (http/https only, no private or loopback
    address unless allowed) and the connection is pinned to the address it
    checked (CURLOPT_RESOLVE), proxies off. Progress {doneBytes,totalBytes}
    is recorded at most every progress_ms, plus once at the end. A worker
    that dies leaves the .part file: the next attempt resumes it with a
    Range request (If-Range: the ETag, else Last-Modified) when the server
    had advertised Accept-Ranges: bytes or an ETag; a 200 answer to it
    starts over. Cancellation stops the transfer within ~100 ms and keeps
    the partial file for the next attempt.

    Download failures set exception {"httpDownloadFailed": {"url",
    "httpStatus" (0 when nothing answered), "exitCode" (a CURLcode),
    "sizeBytes" (bytes of the file received)}}, plus "sizeBytesActual" and
    "sizeBytesExpected" for a size mismatch. exitCode is the transfer's
    CURLcode; an HTTP error answer gives 22 (CURLE_HTTP_RETURNED_ERROR, as
    curl -f), too many redirects 47, and a URL the guard refused: 3
    (malformed), 1 (scheme), 6 (name did not resolve), 7 (forbidden
    address, nothing contacted). Success records {"key","sizeBytes","url",
    "httpStatus"}.

    Both modes first look for the tar in the store: it can only be complete
    there (it is renamed into place), so when it exists with the task's
    "size" (or any size without one), the job succeeds at once with the
    usual result (download mode: "httpStatus" 200, scratch files removed)
    and next task. This covers a worker that died after storing the tar
    but before recording its success: the retry neither downloads again
    nor needs the (maybe expired) URL. A download-mode tar of another size
    is deleted and downloaded again.

    Upload mode (the client PUT the bytes, then committed): the object must
    exist at the tar's key, else the task fails (message only: nothing was
    transferred). A "size" that differs fails it with the same exception
    as a download's mismatch, where "url" is "" (no URL: a client upload),
    httpStatus 0 and exitCode 0, and the object is deleted (the import
    failed for good). Success records {"key","sizeBytes","upload":true}.

    On success in both modes the job asks for the next task (job->next_*):
    "mkraw" with params {"appName","buildName","tarKey","mode":"build"}.  */
#ifndef WK_DLTAR_H_INCLUDED
#define WK_DLTAR_H_INCLUDED
#include "wk_task.h"

#define WK_DLTAR_MAX_REDIRECTS 5

//  The dltar task type (wk_task): needs the depot; the settings (scratch
//  directory, URL guard, progress period, timeouts) are the job's env.
extern const wk_task_t wk_dltar_task;
#endif

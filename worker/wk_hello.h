/*  wk_hello - the hello task: the installation smoke test.

    params {"message": string, "maintenance": bool, "sleepMs": int?,
    "fail": bool?}: sleeps sleepMs (woken by cancellation), then succeeds
    with {"reply":"Hello, <message>","maintenance":bool,"worker":"<id>",
    "version":EDGE_VERSION}, or with fail:true fails with
    "hello task asked to fail".  */
#ifndef WK_HELLO_H_INCLUDED
#define WK_HELLO_H_INCLUDED
#include "wk_task.h"

//  Sleeps at most this long, whatever sleepMs asks (one hour).
#define WK_HELLO_SLEEP_MAX_MS 3600000

//  The hello task type (wk_task).
extern const wk_task_t wk_hello_task;
#endif

/* tristate.h -- yes, no, or not known: what several checks say of a domain (its existence,
 * whether a receiver is external), written as true, false or null (jw_tri). */
#ifndef DS_TRISTATE_H
#define DS_TRISTATE_H

/* -1 unknown, 0 no, 1 yes. */
enum tristate { TRI_UNKNOWN = -1, TRI_NO = 0, TRI_YES = 1 };

#endif

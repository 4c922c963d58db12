// Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are macros over the addresses of globals,
// which Swift cannot import: these functions hand them over.
#include <mpi.h>

static inline MPI_Comm recur_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype recur_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype recur_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype recur_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op recur_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op recur_mpi_max(void) { return MPI_MAX; }
static inline void *recur_mpi_in_place(void) { return MPI_IN_PLACE; }

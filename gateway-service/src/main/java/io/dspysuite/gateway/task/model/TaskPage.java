package io.dspysuite.gateway.task.model;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One page of a tenant's tasks, newest first. */
@Schema(name = "TaskPage")
public record TaskPage(
        @Schema(description = "The tasks, newest first") List<TaskView> items,
        @JsonInclude(JsonInclude.Include.ALWAYS)
        @Schema(description = "Pass as ?cursor= (with the same filters) for the next page; null on the last page",
                nullable = true, example = "djE6MTc2NDE2MDAwMDAwMDAwMDowMTkzNmEwYi1hYzQ3LTc3YmEtOGJkMC0xMjM0NTY3ODlhYmM")
        String nextCursor) {
}

package io.dspysuite.orchestration.admin.service;

import java.util.List;

import io.dspysuite.orchestration.job.model.JobView;

/** One page of the admin job listing; {@code nextCursor} is {@code null} on the last page. */
public record JobPage(List<JobView> items, String nextCursor) {

    public JobPage {
        items = List.copyOf(items);
    }
}

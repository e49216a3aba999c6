package io.dspysuite.orchestration.program.service;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.orchestration.catalog.service.CatalogCache;
import io.dspysuite.orchestration.dspy.client.DspyCallException;
import io.dspysuite.orchestration.program.model.ProgramVersion;
import io.dspysuite.orchestration.program.model.ResolvedProgram;
import io.dspysuite.orchestration.program.model.VersionSelector;
import io.dspysuite.orchestration.program.store.ProgramStore;
import io.dspysuite.protos.dspy.v1.NamedProgramRef;
import io.dspysuite.protos.dspy.v1.ProgramSpec;
import io.dspysuite.protos.dspy.v1.TaskKind;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.smallrye.mutiny.Uni;

/**
 * Resolves the program of a task against the tenant's registry before each attempt: a named program with a version
 * ({@code N}, {@code "latest"}, {@code "promoted"} or empty = promoted) becomes that version's source plus its DSPy
 * JSON state, so the stateless DSPy worker gets everything with the call. Version 1 is the program as defined (a
 * code-registered program is passed on by name, without state). An ad-hoc program runs as it is.
 * <p>
 * Failures are {@link DspyCallException}s so the job engine treats them like the DSPy service's own:
 * {@code PROGRAM_VERSION_NOT_FOUND} and {@code INVALID_INPUTS} are final, a database failure is transient
 * ({@code PROGRAM_STORE_UNAVAILABLE}).
 */
@ApplicationScoped
public class ProgramResolver {

    public static final String PROGRAM_VERSION_NOT_FOUND = "PROGRAM_VERSION_NOT_FOUND";
    public static final String PROGRAM_STORE_UNAVAILABLE = "PROGRAM_STORE_UNAVAILABLE";
    public static final String INVALID_INPUTS = "INVALID_INPUTS";
    private static final int MAX_NAME_LENGTH = 128;

    private final ProgramStore store;
    private final CatalogCache catalog;

    ProgramResolver(ProgramStore store, CatalogCache catalog) {
        this.store = store;
        this.catalog = catalog;
    }

    /** The program {@code request} runs; checks an optimize task's target name first (nothing to run otherwise). */
    public Uni<ResolvedProgram> resolve(TaskRequested request) {
        if (request.getKind() == TaskKind.TASK_KIND_OPTIMIZE) {
            String target = targetName(request);
            if (target.isEmpty()) {
                return Uni.createFrom().failure(DspyCallException.of(INVALID_INPUTS,
                        "an optimize task of an ad-hoc program needs target_program (the name its versions are"
                                + " stored under)", false));
            }
            if (target.length() > MAX_NAME_LENGTH || target.chars().anyMatch(Character::isISOControl)) {
                return Uni.createFrom().failure(DspyCallException.of(INVALID_INPUTS,
                        "target_program must be 1.." + MAX_NAME_LENGTH + " printable characters", false));
            }
        }
        Uni<Void> checked = request.getKind() == TaskKind.TASK_KIND_OPTIMIZE && !request.getProgram().hasNamed()
                ? notRegistered(targetName(request))
                : Uni.createFrom().voidItem();
        return checked.chain(() -> resolve(request.getTenantId(), request.getProgram()))
                .onFailure(failure -> !(failure instanceof DspyCallException))
                .transform(failure -> DspyCallException.of(PROGRAM_STORE_UNAVAILABLE,
                        "the program registry could not be read", true, failure));
    }

    /**
     * An ad-hoc program must not be stored under the name of a program registered in the DSPy service's code (its
     * version 1 is that program). Checked against the cached catalog; when no catalog can be had, not checked.
     */
    private Uni<Void> notRegistered(String target) {
        return catalog.get().map(snapshot -> snapshot.program(target).isPresent())
                .onFailure().recoverWithItem(false)
                .invoke(taken -> {
                    if (taken) {
                        throw DspyCallException.of(INVALID_INPUTS, "target_program '" + target
                                + "' is a program registered in the DSPy service; choose another name", false);
                    }
                })
                .replaceWithVoid();
    }

    /** The name an optimize task stores its version under: target_program, else the named program's; empty if none. */
    public static String targetName(TaskRequested request) {
        if (!request.getTargetProgram().isBlank()) {
            return request.getTargetProgram().strip();
        }
        return request.getProgram().hasNamed() ? request.getProgram().getNamed().getName() : "";
    }

    Uni<ResolvedProgram> resolve(String tenantId, ProgramSpec requested) {
        if (!requested.hasNamed()) {
            return Uni.createFrom().item(new ResolvedProgram(requested, null, 0));
        }
        String name = requested.getNamed().getName();
        String asked = requested.getNamed().getVersion();
        VersionSelector selector = VersionSelector.parse(asked).orElse(null);
        if (selector == null) {
            return Uni.createFrom().failure(notFound(name, asked,
                    " (a version is a number from 1, \"latest\" or \"promoted\")"));
        }
        return store.pointers(tenantId, name).chain(pointers -> {
            int target = selector.target(pointers.latest(), pointers.promoted());
            return store.version(tenantId, name, target).map(stored -> {
                if (stored.isPresent()) {
                    return new ResolvedProgram(specOf(stored.get()), name, target);
                }
                if (target == 1) {
                    // The program as defined in the DSPy service's code; an unknown name is its INVALID_PROGRAM.
                    return new ResolvedProgram(named(name, 1), name, 1);
                }
                throw notFound(name, String.valueOf(target), "");
            });
        });
    }

    /** What the DSPy service receives for a stored version: its source (by name for registered ones) and state. */
    public static ProgramSpec specOf(ProgramVersion version) {
        ProgramSpec.Builder spec = version.program().toBuilder();
        if (spec.hasNamed()) {
            spec.setNamed(NamedProgramRef.newBuilder().setName(spec.getNamed().getName())
                    .setVersion(String.valueOf(version.version())));
        }
        if (version.stateJson() != null) {
            spec.setProgramStateJson(version.stateJson());
        } else {
            spec.clearProgramStateJson();
        }
        return spec.build();
    }

    private static ProgramSpec named(String name, int version) {
        return ProgramSpec.newBuilder()
                .setNamed(NamedProgramRef.newBuilder().setName(name).setVersion(String.valueOf(version)))
                .build();
    }

    private static DspyCallException notFound(String name, String version, String hint) {
        return DspyCallException.of(PROGRAM_VERSION_NOT_FOUND,
                "program '" + name + "' has no version '" + version + "' for this tenant" + hint, false);
    }
}

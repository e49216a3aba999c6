package io.dspysuite.gateway.validation;

import static java.lang.annotation.ElementType.FIELD;
import static java.lang.annotation.ElementType.PARAMETER;
import static java.lang.annotation.ElementType.RECORD_COMPONENT;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;

import io.dspysuite.gateway.task.model.TaskRules;

/**
 * Text with something besides ASCII white space and no NUL character ({@link TaskRules#NOT_BLANK}, checked in linear
 * time by {@link TaskRules#notBlank}; a {@code @Pattern} with that regex backtracks quadratically on a refused value).
 * Document the rule with {@code @Schema(pattern = TaskRules.NOT_BLANK)} beside it. Null is valid (use
 * {@code @NotNull}).
 */
@Documented
@Constraint(validatedBy = NotBlankText.Validator.class)
@Target({ FIELD, PARAMETER, RECORD_COMPONENT })
@Retention(RUNTIME)
public @interface NotBlankText {

    String message() default "must not be blank or contain a NUL character";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};

    class Validator implements ConstraintValidator<NotBlankText, String> {
        @Override
        public boolean isValid(String value, ConstraintValidatorContext context) {
            return value == null || TaskRules.notBlank(value);
        }
    }
}

package dev.capstan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.CancelledException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Questions without a terminal (as under the test runner), and once the run is cancelled. */
class TerminalQuestionsTest {

    @AfterEach
    void newRun() {
        TerminalQuestions.reset();
    }

    @Test
    void withoutATerminalNoOneIsAsked() {
        assertThat(TerminalQuestions.ask("branch [main]: ", true)).isNull();
        assertThat(TerminalQuestions.askSecret("token (not shown): ")).isNull();
    }

    @Test
    void onceTheRunIsCancelledNoQuestionIsAsked() {
        assertThat(TerminalQuestions.cancel()).as("a question open").isFalse();
        assertThatThrownBy(() -> TerminalQuestions.ask("branch [main]: ", true)).isInstanceOf(CancelledException.class);
        assertThatThrownBy(() -> TerminalQuestions.askSecret("sudo password: ")).isInstanceOf(CancelledException.class);
    }
}

package io.github.mongolock.bootexample;

import io.github.mongolock.aspect.ReadLocked;
import io.github.mongolock.aspect.WriteLocked;
import org.springframework.stereotype.Service;

/**
 * The locked service: a deposit writes an account, a balance reads it. The lock ID is a template
 * over the parameter, so each account has its own lock and calls on different accounts run side by
 * side.
 */
@Service
public class AccountService {

  private final AccountBook book;

  AccountService(AccountBook book) {
    this.book = book;
  }

  /**
   * Adds to an account, alone: no other node or thread reads or writes it meanwhile.
   *
   * @param account the account
   * @param amount what to add
   * @return the new balance
   */
  @WriteLocked("account-#{#account}")
  public long deposit(String account, long amount) {
    return book.add(account, amount);
  }

  /**
   * Reads an account; other readers may read it at the same time, nobody writes it.
   *
   * @param account the account
   * @return its balance
   */
  @ReadLocked("account-#{#account}")
  public long balance(String account) {
    return book.read(account);
  }
}
